// Tests for udplint.fact.go.cmsg: control messages and pktinfo built for a reply.
package main

import (
	"syscall"

	"golang.org/x/net/ipv4"
)

func cmsgs(cm *ipv4.ControlMessage, in *syscall.Inet4Pktinfo) {
	// ruleid: udplint.fact.go.cmsg
	a := &ipv4.ControlMessage{Src: cm.Dst}
	var b ipv4.ControlMessage
	// ruleid: udplint.fact.go.cmsg
	b.IfIndex = cm.IfIndex
	// ruleid: udplint.fact.go.cmsg
	c := syscall.Inet4Pktinfo{Spec_dst: in.Spec_dst}
	// ok: udplint.fact.go.cmsg
	d := syscall.Timeval{Sec: 1}
	_, _, _ = a, c, d
}
