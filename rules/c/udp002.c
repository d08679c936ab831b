/* Tests for the UDP002 C rules: half fixes of a wildcard-bound UDP server. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static int open_server(unsigned short port) {
    int on = 1, fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    bind(fd, (struct sockaddr *)&sin6, sizeof sin6);
    return fd;
}

static void radius_reply(int fd, const unsigned char *pkt, size_t len, const struct sockaddr *client, socklen_t clen) {
    // ruleid: c-pktinfo-half-fix-sendto
    sendto(fd, pkt, len, 0, client, clen);
}

static void serve(int fd) {
    unsigned char buf[4096];
    char ctl[256];
    struct sockaddr_in6 peer;
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    for (;;) {
        ssize_t n = recvmsg(fd, &m, 0);
        if (n <= 0)
            continue;
        // ruleid: c-pktinfo-half-fix-sendto
        sendto(fd, buf, n, 0, m.msg_name, m.msg_namelen);
        radius_reply(fd, buf, n, (struct sockaddr *)&peer, m.msg_namelen);
    }
}

static void serve_sendmsg(int fd) {
    unsigned char buf[4096];
    char ctl[256];
    struct sockaddr_in6 peer;
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    if (recvmsg(fd, &m, 0) < 0)
        return;
    struct msghdr r = { .msg_name = &peer, .msg_namelen = m.msg_namelen, .msg_iov = &iov, .msg_iovlen = 1 };
    // ruleid: c-sendmsg-without-pktinfo
    sendmsg(fd, &r, 0);
}

static void notify(int fd) {
    struct sockaddr_in6 mgr;
    memset(&mgr, 0, sizeof mgr);
    mgr.sin6_family = AF_INET6;
    mgr.sin6_port = htons(162);
    // ok: c-pktinfo-half-fix-sendto
    sendto(fd, "trap", 4, 0, (struct sockaddr *)&mgr, sizeof mgr);
}

int main(void) {
    int fd = open_server(1812);
    notify(fd);
    serve_sendmsg(fd);
    serve(fd);
    return 0;
}
