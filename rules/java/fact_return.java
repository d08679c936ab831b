// Tests for udplint.fact.java.return: what methods return.
import java.net.*;

class Returns {
    SocketAddress sender(DatagramPacket p) {
        // ruleid: udplint.fact.java.return
        return p.getSocketAddress();
    }

    void nothing() {
        // ok: udplint.fact.java.return
        return;
    }
}
