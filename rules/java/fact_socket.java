// Tests for udplint.fact.java.socket: datagram sockets, channels and acceptors.
import java.net.*;
import java.nio.channels.DatagramChannel;

class Sockets {
    void make(int port) throws Exception {
        // ruleid: udplint.fact.java.socket
        DatagramSocket a = new DatagramSocket(port);
        // ruleid: udplint.fact.java.socket
        MulticastSocket b = new MulticastSocket(port);
        // ruleid: udplint.fact.java.socket
        DatagramChannel c = DatagramChannel.open();
        // ruleid: udplint.fact.java.socket
        bootstrap.channel(NioDatagramChannel.class);
        // ruleid: udplint.fact.java.socket
        MulticastSocket e = factory.createMulticastSocket("diag", port);
        // ok: udplint.fact.java.socket
        ServerSocket d = new ServerSocket(port);
        // ok: udplint.fact.java.socket
        bootstrap.channel(NioServerSocketChannel.class);
        // ok: udplint.fact.java.socket
        MulticastSocket[] perInterface = new MulticastSocket[port];
    }
}
