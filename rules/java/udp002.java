// Tests for java-destination-learned-reply-unpinned: a Netty epoll server that reads the destination
// with IP_RECVORIGDSTADDR but still replies from the wildcard channel.
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;

public class Udp002 extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        System.out.println("request for " + packet.recipient());
        // ruleid: java-destination-learned-reply-unpinned
        ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender(), packet.recipient()));
    }

    public static void main(String[] args) throws Exception {
        new Bootstrap()
            .group(new EpollEventLoopGroup())
            .channel(EpollDatagramChannel.class)
            .option(EpollChannelOption.IP_RECVORIGDSTADDR, true)
            .handler(new Udp002())
            .bind(Integer.parseInt(args[0]))
            .sync().channel().closeFuture().await();
    }
}
