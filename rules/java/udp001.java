// Tests for java-wildcard-udp-reply-unpinned-source: SNMP/TFTP/syslog-style UDP servers bound to the
// wildcard address.
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

public class Udp001 {
    private final DatagramSocket socket;
    private final DatagramChannel channel;

    Udp001(int port) throws IOException {
        socket = new DatagramSocket(port);
        channel = DatagramChannel.open().bind(new InetSocketAddress(port + 1));
    }

    void echo() throws IOException {
        byte[] buf = new byte[1500];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            socket.receive(p);
            byte[] out = process(p.getData(), p.getLength());
            // ruleid: java-wildcard-udp-reply-unpinned-source
            socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
        }
    }

    void echoSamePacket() throws IOException {
        byte[] buf = new byte[1500];
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        socket.receive(packet);
        packet.setData(process(packet.getData(), packet.getLength()));
        // ruleid: java-wildcard-udp-reply-received-packet
        socket.send(packet);
    }

    void addressAndPort() throws IOException {
        byte[] buf = new byte[512];
        DatagramPacket req = new DatagramPacket(buf, buf.length);
        socket.receive(req);
        InetAddress client = req.getAddress();
        int clientPort = req.getPort();
        // ruleid: java-wildcard-udp-reply-unpinned-source
        DatagramPacket resp = new DatagramPacket(buf, req.getLength(), client, clientPort);
        socket.send(resp);
    }

    void nio() throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(1500);
        while (true) {
            bb.clear();
            SocketAddress sender = channel.receive(bb);
            bb.flip();
            // ruleid: java-wildcard-udp-reply-unpinned-source
            channel.send(bb, sender);
        }
    }

    // the reply is sent by a helper that gets the client's address
    void reply(byte[] data, InetAddress to, int port) throws IOException {
        // ruleid: java-wildcard-udp-reply-unpinned-source
        socket.send(new DatagramPacket(data, data.length, to, port));
    }

    // forwarding to a configured collector is not a reply to the sender
    void forward(byte[] data) throws IOException {
        InetAddress collector = InetAddress.getByName("collector.example");
        // ok: java-wildcard-udp-reply-unpinned-source
        socket.send(new DatagramPacket(data, data.length, collector, 514));
    }

    static byte[] process(byte[] data, int len) {
        return java.util.Arrays.copyOf(data, len);
    }
}
