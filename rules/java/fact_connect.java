// Tests for udplint.fact.java.connect: connected clients.
import java.net.*;

class Connects {
    void client(DatagramSocket s, InetSocketAddress server) throws Exception {
        // ruleid: udplint.fact.java.connect
        s.connect(server);
        // ok: udplint.fact.java.connect
        s.disconnect();
    }
}
