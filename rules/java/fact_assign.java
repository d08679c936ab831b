// Tests for udplint.fact.java.assign: name flow inside methods.
import java.net.*;

class Assigns {
    SocketAddress peer;

    void flow(DatagramPacket p, java.util.List<DatagramPacket> queue) {
        // ruleid: udplint.fact.java.assign
        SocketAddress from = p.getSocketAddress();
        // ruleid: udplint.fact.java.assign
        this.peer = from;
        // ruleid: udplint.fact.java.assign
        for (DatagramPacket q : queue) {
            // ok: udplint.fact.java.assign
            use(q);
        }
    }

    void use(DatagramPacket q) {}
}
