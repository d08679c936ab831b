// Tests for udplint.fact.java.setaddr: packets re-addressed after construction.
import java.net.*;

class SetAddr {
    void readdress(DatagramPacket p, DatagramPacket req) {
        // ruleid: udplint.fact.java.setaddr
        p.setSocketAddress(req.getSocketAddress());
        // ruleid: udplint.fact.java.setaddr
        p.setAddress(req.getAddress());
        // ruleid: udplint.fact.java.setaddr
        p.setPort(req.getPort());
        // ok: udplint.fact.java.setaddr
        p.setData(new byte[1]);
    }
}
