// Tests for udplint.fact.go.connect: connected client sockets.
package main

import "net"

func clients(server *net.UDPAddr) {
	// ruleid: udplint.fact.go.connect
	a, _ := net.DialUDP("udp", nil, server)
	// ruleid: udplint.fact.go.connect
	b, _ := net.Dial("udp4", "192.0.2.1:53")
	// ok: udplint.fact.go.connect
	c, _ := net.Dial("tcp", "192.0.2.1:53")
	_, _, _ = a, b, c
}
