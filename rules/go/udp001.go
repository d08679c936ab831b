// Tests for go-wildcard-udp-reply-unpinned-source: a small DNS/syslog/STUN-style UDP daemon bound
// to the wildcard address.
package main

import (
	"log"
	"net"
	"net/netip"
	"strconv"
)

type server struct {
	conn *net.UDPConn
	pc   net.PacketConn
}

type request struct {
	from *net.UDPAddr
	data []byte
}

func (s *server) serveEcho() {
	buf := make([]byte, 1500)
	for {
		n, addr, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			continue
		}
		// ruleid: go-wildcard-udp-reply-unpinned-source
		s.conn.WriteToUDP(buf[:n], addr)
	}
}

func (s *server) servePacketConn() {
	buf := make([]byte, 512)
	for {
		n, peer, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		reply := append([]byte{0x81, 0x80}, buf[2:n]...)
		// ruleid: go-wildcard-udp-reply-unpinned-source
		if _, err := s.pc.WriteTo(reply, peer); err != nil {
			log.Print(err)
		}
	}
}

func (s *server) serveAddrPort() {
	buf := make([]byte, 1500)
	var ap netip.AddrPort
	var n int
	var err error
	for {
		n, ap, err = s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			continue
		}
		dst := ap
		// ruleid: go-wildcard-udp-reply-unpinned-source
		s.conn.WriteToUDPAddrPort(buf[:n], dst)
	}
}

// the reply is sent from a goroutine that gets the request
func (s *server) handle(req request) {
	// ruleid: go-wildcard-udp-reply-unpinned-source
	s.conn.WriteToUDP(req.data, req.from)
}

func reply(conn *net.UDPConn, to *net.UDPAddr, b []byte) error {
	// ruleid: go-wildcard-udp-reply-unpinned-source
	_, err := conn.WriteToUDP(b, to)
	return err
}

func (s *server) dispatch() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			continue
		}
		go s.handle(request{from: from, data: append([]byte(nil), buf[:n]...)})
		_ = reply(s.conn, from, buf[:n])
	}
}

// forwarding to a fixed upstream is not a reply to the sender
func (s *server) forward(upstream string, b []byte) {
	ua, _ := net.ResolveUDPAddr("udp", upstream)
	// ok: go-wildcard-udp-reply-unpinned-source
	s.conn.WriteToUDP(b, ua)
}

func main() {
	port := 5353
	c, err := net.ListenUDP("udp", &net.UDPAddr{Port: port})
	if err != nil {
		log.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", ":"+strconv.Itoa(port+1))
	if err != nil {
		log.Fatal(err)
	}
	s := &server{conn: c, pc: pc}
	go s.servePacketConn()
	go s.serveAddrPort()
	go s.dispatch()
	s.serveEcho()
}
