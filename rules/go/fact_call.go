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

// a spec tree built in a package-level initializer (ginkgo style)
// ruleid: udplint.fact.go.call
var _ = describe("server", func() {
	// ruleid: udplint.fact.go.call
	listenOn("localhost:0")
})

func describe(string, func()) bool { return true }
func listenOn(string)              {}

type server struct{}

func (s *server) handle(net.Addr, []byte) {}
func (s *server) stop()                   {}
func reply(*server, net.Addr)             {}
