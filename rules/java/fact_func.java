// Tests for udplint.fact.java.func: methods, constructors, records.
import java.net.*;

class Funcs {
    // ruleid: udplint.fact.java.func
    Funcs(int port) {
    }

    // ruleid: udplint.fact.java.func
    void reply(DatagramPacket p, byte[] data) {
    }

    // ruleid: udplint.fact.java.func
    record Request(SocketAddress from, byte[] data) {}

    // ok: udplint.fact.java.func
    int port;
}
