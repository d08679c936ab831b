// Tests for udplint.fact.java.multicast: group joins.
import java.net.*;

class Groups {
    void join(MulticastSocket s, InetAddress group) throws Exception {
        // ruleid: udplint.fact.java.multicast
        s.joinGroup(group);
        // ok: udplint.fact.java.multicast
        s.setTimeToLive(2);
    }
}
