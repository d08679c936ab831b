// Tests for udplint.fact.go.call: calls that may carry a peer onward.
package main

import (
	"fmt"
	"net"
)

func calls(s *server, from net.Addr, b []byte) {
	// ruleid: udplint.fact.go.call
	s.handle(from, b)
	// ruleid: udplint.fact.go.call
	go reply(s, from)
	// ok: udplint.fact.go.call
	fmt.Println(from)
	// ok: udplint.fact.go.call
	s.stop()
}

type server struct{}

func (s *server) handle(net.Addr, []byte) {}
func (s *server) stop()                   {}
func reply(*server, net.Addr)             {}
