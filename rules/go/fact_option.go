// Tests for udplint.fact.go.option: packet-info set-up.
package main

import (
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
)

func options(p *ipv4.PacketConn, c *net.UDPConn) {
	// ruleid: udplint.fact.go.option
	p.SetControlMessage(ipv4.FlagDst, true)
	raw, _ := c.SyscallConn()
	raw.Control(func(fd uintptr) {
		// ruleid: udplint.fact.go.option
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_PKTINFO, 1)
		// ok: udplint.fact.go.option
		syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
}
