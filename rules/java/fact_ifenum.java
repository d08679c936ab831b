// Tests for udplint.fact.java.ifenum: local address enumeration.
import java.net.*;
import java.util.Collections;

class Enumerate {
    void each() throws Exception {
        // ruleid: udplint.fact.java.ifenum
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            // ruleid: udplint.fact.java.ifenum
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                // ok: udplint.fact.java.ifenum
                System.out.println(ni.getName());
            }
        }
    }
}
