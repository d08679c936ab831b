// Tests for udplint.fact.java.send: datagram sends and framework writes.
import java.net.*;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

class Sends {
    void send(DatagramSocket s, DatagramChannel ch, DatagramPacket p, ByteBuffer buf, SocketAddress to) throws Exception {
        // ruleid: udplint.fact.java.send
        s.send(p);
        // ruleid: udplint.fact.java.send
        ch.send(buf, to);
        // ruleid: udplint.fact.java.send
        ctx.writeAndFlush(msg);
        // ruleid: udplint.fact.java.send
        session.write(reply);
        // ok: udplint.fact.java.send
        ctx.flush();
    }
}
