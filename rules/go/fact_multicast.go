// Tests for udplint.fact.go.multicast: group sockets and joins.
package main

import (
	"net"

	"golang.org/x/net/ipv4"
)

func groups(ifi *net.Interface, p *ipv4.PacketConn) {
	group := &net.UDPAddr{IP: net.IPv4(239, 255, 255, 250), Port: 1900}
	// ruleid: udplint.fact.go.multicast
	c, _ := net.ListenMulticastUDP("udp4", ifi, group)
	// ruleid: udplint.fact.go.multicast
	p.JoinGroup(ifi, group)
	// ok: udplint.fact.go.multicast
	p.SetMulticastTTL(2)
	_ = c
}
