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

// a project's wrapper around the receive: its callers learn the peer
func readMsg(conn *net.UDPConn, b, oob []byte) (int, int, int, *net.UDPAddr, error) {
	// ruleid: udplint.fact.go.receive
	return conn.ReadMsgUDP(b, oob)
}

func readPacket(pc net.PacketConn, b []byte) (int, net.Addr, error) {
	// ruleid: udplint.fact.go.receive
	return pc.ReadFrom(b)
}

func readOnly(c *net.UDPConn, b []byte) (int, error) {
	// ok: udplint.fact.go.receive
	return c.Read(b)
}
