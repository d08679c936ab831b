// Tests for udplint.fact.go.listen: sockets that take a local address.
package main

import (
	"context"
	"fmt"
	"net"
)

func listeners(port int) {
	// ruleid: udplint.fact.go.listen
	a, _ := net.ListenUDP("udp", &net.UDPAddr{Port: port})
	// ruleid: udplint.fact.go.listen
	b, _ := net.ListenPacket("udp", ":53")
	// ruleid: udplint.fact.go.listen
	c, _ := net.ListenPacket("udp4", fmt.Sprintf(":%d", port))
	var lc net.ListenConfig
	// ruleid: udplint.fact.go.listen
	d, _ := lc.ListenPacket(context.Background(), "udp", "0.0.0.0:5353")
	var stack transportNet
	// ruleid: udplint.fact.go.listen
	g, _ := stack.ListenUDP("udp", &net.UDPAddr{Port: port})
	// ok: udplint.fact.go.listen
	e, _ := net.Listen("tcp", ":53")
	// ok: udplint.fact.go.listen
	f, _ := net.DialUDP("udp", nil, &net.UDPAddr{Port: port})
	_, _, _, _, _, _, _ = a, b, c, d, e, f, g
}

type transportNet interface {
	ListenUDP(network string, laddr *net.UDPAddr) (*net.UDPConn, error)
}
