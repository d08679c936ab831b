// Tests for udplint.fact.go.receive: receives that learn the sender.
package main

import (
	"net"

	"golang.org/x/net/ipv4"
)

func receives(c *net.UDPConn, pc net.PacketConn, p *ipv4.PacketConn) {
	b := make([]byte, 1500)
	oob := make([]byte, 256)
	// ruleid: udplint.fact.go.receive
	n, from, err := c.ReadFromUDP(b)
	// ruleid: udplint.fact.go.receive
	n, from2, err := pc.ReadFrom(b)
	// ruleid: udplint.fact.go.receive
	n, oobn, flags, from3, err := c.ReadMsgUDP(b, oob)
	// ruleid: udplint.fact.go.receive
	n, cm, from4, err := p.ReadFrom(b)
	// ok: udplint.fact.go.receive
	n, err = c.Read(b)
	_, _, _, _, _, _, _, _, _ = n, from, from2, oobn, flags, from3, cm, from4, err
}
