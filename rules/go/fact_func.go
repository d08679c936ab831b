// Tests for udplint.fact.go.func: function and method definitions.
package main

import "net"

type server struct{}

// ruleid: udplint.fact.go.func
func (s *server) answer(to net.Addr, b []byte) {
}

// ruleid: udplint.fact.go.func
func reply(s *server, to net.Addr) {
}

// ok: udplint.fact.go.func
type handler func(net.Addr)
