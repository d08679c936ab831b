// Tests for udplint.fact.go.wrap: x/net packet conns.
package main

import (
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

func wrap(c net.PacketConn) {
	// ruleid: udplint.fact.go.wrap
	p4 := ipv4.NewPacketConn(c)
	// ruleid: udplint.fact.go.wrap
	p6 := ipv6.NewPacketConn(c)
	// ok: udplint.fact.go.wrap
	r := ipv4.NewRawConn(c)
	_, _, _ = p4, p6, r
}
