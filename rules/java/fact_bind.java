// Tests for udplint.fact.java.bind: bind and localAddress calls.
import java.net.*;

class Binds {
    void bind(DatagramSocket s, int port) throws Exception {
        // ruleid: udplint.fact.java.bind
        s.bind(new InetSocketAddress(port));
        // ruleid: udplint.fact.java.bind
        bootstrap.bind(port);
        // ruleid: udplint.fact.java.bind
        bootstrap.localAddress("10.0.0.1", port);
        // ok: udplint.fact.java.bind
        s.connect(new InetSocketAddress("192.0.2.1", port));
    }
}
