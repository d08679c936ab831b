// Tests for udplint.fact.go.send: datagrams sent to an address.
package main

import (
	"net"

	"golang.org/x/net/ipv4"
)

func sends(c *net.UDPConn, pc net.PacketConn, p *ipv4.PacketConn, to *net.UDPAddr, cm *ipv4.ControlMessage) {
	b := []byte("x")
	// ruleid: udplint.fact.go.send
	c.WriteToUDP(b, to)
	// ruleid: udplint.fact.go.send
	pc.WriteTo(b, to)
	// ruleid: udplint.fact.go.send
	c.WriteMsgUDP(b, nil, to)
	// ruleid: udplint.fact.go.send
	p.WriteTo(b, cm, to)
	// ok: udplint.fact.go.send
	c.Write(b)
}
