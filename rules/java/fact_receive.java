// Tests for udplint.fact.java.receive: socket and channel receives.
import java.net.*;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

class Receives {
    void recv(DatagramSocket s, DatagramChannel ch, DatagramPacket p, ByteBuffer buf) throws Exception {
        // ruleid: udplint.fact.java.receive
        s.receive(p);
        // ruleid: udplint.fact.java.receive
        SocketAddress from = ch.receive(buf);
        // ok: udplint.fact.java.receive
        ch.read(buf);
    }
}
