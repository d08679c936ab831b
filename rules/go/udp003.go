// Tests for the UDP003 Go rules: control messages built from the wrong fields.
package main

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
)

func serveXnet(c net.PacketConn) {
	p := ipv4.NewPacketConn(c)
	p.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
	b := make([]byte, 1500)
	for {
		n, cm, src, err := p.ReadFrom(b)
		if err != nil || cm == nil {
			continue
		}
		// ruleid: go-control-message-ifindex-copied
		p.WriteTo(b[:n], &ipv4.ControlMessage{Src: cm.Dst, IfIndex: cm.IfIndex}, src)
		// ok: go-control-message-ifindex-copied
		p.WriteTo(b[:n], &ipv4.ControlMessage{Src: cm.Dst}, src)
	}
}

func replyOOB(in *syscall.Inet4Pktinfo) []byte {
	// ruleid: go-pktinfo-spec-dst-from-addr
	out := syscall.Inet4Pktinfo{Spec_dst: in.Addr}
	// ok: go-pktinfo-spec-dst-from-addr
	good := syscall.Inet4Pktinfo{Spec_dst: in.Spec_dst}
	_ = good
	return (*[syscall.SizeofInet4Pktinfo]byte)(unsafe.Pointer(&out))[:]
}

func serveEcho(c *net.UDPConn) {
	b := make([]byte, 1500)
	oob := make([]byte, 256)
	for {
		n, oobn, _, src, err := c.ReadMsgUDP(b, oob)
		if err != nil {
			continue
		}
		// ruleid: go-received-oob-echoed
		c.WriteMsgUDP(b[:n], oob[:oobn], src)
	}
}

func main() {
	c, _ := net.ListenUDP("udp4", &net.UDPAddr{Port: 5000})
	go serveXnet(c)
	serveEcho(c)
}
