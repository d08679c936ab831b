// Tests for udplint.fact.java.bind: bind, localAddress and setDefaultLocalAddress calls.
import java.net.*;

class Binds {
    void bind(DatagramSocket s, int port) throws Exception {
        // ruleid: udplint.fact.java.bind
        s.bind(new InetSocketAddress(port));
        // ruleid: udplint.fact.java.bind
        bootstrap.bind(port);
        // ruleid: udplint.fact.java.bind
        bootstrap.localAddress("10.0.0.1", port);
        // a MINA acceptor's address for a later bind() without arguments
        // ruleid: udplint.fact.java.bind
        acceptor.setDefaultLocalAddress(new InetSocketAddress(port));
        // ok: udplint.fact.java.bind
        s.connect(new InetSocketAddress("192.0.2.1", port));
    }
}
