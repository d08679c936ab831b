// Tests for udplint.fact.go.field: keyed fields of composite literals.
package main

import "net"

type request struct {
	addr net.Addr
	body []byte
}

// ruleid: udplint.fact.go.field
var cfg = config{Listen: ":53"}

type config struct{ Listen string }

func fields(from net.Addr, b []byte) request {
	// ruleid: udplint.fact.go.field
	return request{addr: from,
		// ruleid: udplint.fact.go.field
		body: b}
}

func positional(from net.Addr, b []byte) request {
	// ok: udplint.fact.go.field
	return request{from, b}
}
