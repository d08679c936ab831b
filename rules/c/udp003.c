/* Tests for the UDP003 C rules: pktinfo replies built from the wrong fields. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static void reply_hdr_dst(int fd, struct msghdr *m, struct in_pktinfo *in) {
    char ctl[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct in_pktinfo out;
    memset(&out, 0, sizeof out);
    // ruleid: c-pktinfo-spec-dst-from-ipi-addr
    out.ipi_spec_dst = in->ipi_addr;
    // ruleid: c-pktinfo-spec-dst-from-ipi-addr
    out.ipi_spec_dst.s_addr = in->ipi_addr.s_addr;
    // ok: c-pktinfo-spec-dst-from-ipi-addr
    out.ipi_spec_dst = in->ipi_spec_dst;
    // ruleid: c-pktinfo-ifindex-copied
    out.ipi_ifindex = in->ipi_ifindex;
    // ok: c-pktinfo-ifindex-copied
    out.ipi_ifindex = 0;
    m->msg_control = ctl;
    m->msg_controllen = sizeof ctl;
    struct cmsghdr *c = CMSG_FIRSTHDR(m);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof out);
    memcpy(CMSG_DATA(c), &out, sizeof out);
    sendmsg(fd, m, 0);
}

static void reply_v6(int fd, struct msghdr *m, const struct in6_pktinfo *in6) {
    struct in6_pktinfo out6 = {0};
    out6.ipi6_addr = in6->ipi6_addr;
    // ruleid: c-pktinfo-ifindex-copied
    out6.ipi6_ifindex = in6->ipi6_ifindex;
    sendmsg(fd, m, 0);
}

static void serve_echo(int fd) {
    for (;;) {
        char buf[1500], ctl[256];
        struct sockaddr_storage peer;
        struct iovec iov = { buf, sizeof buf };
        struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov,
                            .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
        ssize_t n = recvmsg(fd, &m, 0);
        if (n < 0)
            continue;
        iov.iov_len = n;
        // ruleid: c-pktinfo-control-buffer-echoed
        sendmsg(fd, &m, 0);
    }
}

static void serve_echo2(int fd) {
    char buf[1500], ctl[256];
    struct sockaddr_storage peer;
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m;
    ssize_t n;
    memset(&m, 0, sizeof m);
    m.msg_name = &peer;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    while ((n = recvmsg(fd, &m, 0)) >= 0) {
        iov.iov_len = n;
        // ruleid: c-pktinfo-control-buffer-echoed
        if (sendmsg(fd, &m, 0) < 0)
            perror("sendmsg");
    }
}

static void serve_fresh(int fd) {
    char buf[1500], ctl[256], out[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct sockaddr_storage peer;
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    if (recvmsg(fd, &m, 0) < 0)
        return;
    m.msg_control = out;
    m.msg_controllen = sizeof out;
    // ok: c-pktinfo-control-buffer-echoed
    sendmsg(fd, &m, 0);
}

int main(void) {
    int on = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    serve_fresh(fd);
    serve_echo2(fd);
    serve_echo(fd);
    reply_v6(fd, NULL, NULL);
    reply_hdr_dst(fd, NULL, NULL);
    return 0;
}
