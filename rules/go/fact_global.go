// Tests for udplint.fact.go.global: package-level defaults.
package main

// ruleid: udplint.fact.go.global
const defaultAddr = ":53"

// ruleid: udplint.fact.go.global
var listenAddr = "0.0.0.0:5353"

func f() {
	// ok: udplint.fact.go.global
	var local = "x"
	_ = local
}
