// Tests for udplint.fact.java.call: calls and constructor calls with arguments.
import java.net.*;

class Calls {
    void calls(DatagramPacket p) {
        // ruleid: udplint.fact.java.call
        handle(p);
        // ruleid: udplint.fact.java.call
        Object r = new Request(p.getSocketAddress(), p.getData());
        // ok: udplint.fact.java.call
        System.out.println(p);
    }

    void handle(DatagramPacket p) {}
}
