// Tests for the UDP002 Go rules: half fixes on a wildcard-bound UDP server.
package main

import (
	"log"
	"net"

	"golang.org/x/net/ipv4"
)

func serveMsg(c *net.UDPConn) {
	b := make([]byte, 1500)
	oob := make([]byte, 256)
	for {
		n, _, _, src, err := c.ReadMsgUDP(b, oob)
		if err != nil {
			continue
		}
		// ruleid: go-pktinfo-half-fix-write-to
		c.WriteToUDP(b[:n], src)
		// ruleid: go-reply-without-control-message
		c.WriteMsgUDP(b[:n], nil, src)
	}
}

func serveXnet(c net.PacketConn) {
	p := ipv4.NewPacketConn(c)
	if err := p.SetControlMessage(ipv4.FlagDst, true); err != nil {
		log.Fatal(err)
	}
	b := make([]byte, 1500)
	for {
		n, _, src, err := p.ReadFrom(b)
		if err != nil {
			continue
		}
		// ruleid: go-reply-without-control-message
		p.WriteTo(b[:n], nil, src)
	}
}

func main() {
	c, err := net.ListenUDP("udp", &net.UDPAddr{Port: 1812})
	if err != nil {
		log.Fatal(err)
	}
	pc, _ := net.ListenPacket("udp", ":1813")
	go serveXnet(pc)
	serveMsg(c)
}
