#include <netinet/in.h>
#include <sys/socket.h>
void enable(int fd, int v6) {
    int on = 1;
    // ruleid: udplint.fact.c.option
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    // ruleid: udplint.fact.c.option
    if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) < 0)
        return;
    // ok: udplint.fact.c.option
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
}
