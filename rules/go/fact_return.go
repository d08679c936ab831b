// Tests for udplint.fact.go.return: what helpers return.
package main

import "net"

func read(c net.PacketConn) (net.Addr, []byte) {
	b := make([]byte, 1500)
	n, from, _ := c.ReadFrom(b)
	// ruleid: udplint.fact.go.return
	return from, b[:n]
}

func nothing() {
	// ok: udplint.fact.go.return
	return
}
