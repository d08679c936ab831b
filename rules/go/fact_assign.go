// Tests for udplint.fact.go.assign: name flow inside functions.
package main

import "net"

type req struct{ addr net.Addr }

func flows(in chan req, from net.Addr) {
	// ruleid: udplint.fact.go.assign
	peer := from
	var r req
	// ruleid: udplint.fact.go.assign
	r.addr = peer
	// ruleid: udplint.fact.go.assign
	in <- r
	// ruleid: udplint.fact.go.assign
	for q := range in {
		use(q.addr)
	}
	// ok: udplint.fact.go.assign
	use(peer)
}

func use(net.Addr) {}
