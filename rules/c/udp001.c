/* Tests for c-wildcard-udp-reply-unpinned-source: a small UDP daemon (echo, DNS-ish, syslog relay
 * and a statsd-style ack) bound to the wildcard address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct request {
    int fd;
    struct sockaddr_storage from;
    socklen_t fromlen;
    unsigned char buf[512];
    ssize_t len;
};

static int open_server(unsigned short port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_ANY);
    sin.sin_port = htons(port);
    bind(fd, (struct sockaddr *)&sin, sizeof sin);
    return fd;
}

/* plain echo loop */
static void echo_loop(int fd) {
    char buf[2048];
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    for (;;) {
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
        if (n < 0)
            continue;
        // ruleid: c-wildcard-udp-reply-unpinned-source
        sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen);
    }
}

/* receive in a loop condition, reply through a copy of the address */
static void dns_loop(int fd) {
    unsigned char q[512];
    struct sockaddr_storage ss, reply_to;
    socklen_t sl = sizeof ss;
    ssize_t n;
    while ((n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&ss, &sl)) > 0) {
        q[2] |= 0x80;
        memcpy(&reply_to, &ss, sizeof ss);
        reply_to = ss;
        // ruleid: c-wildcard-udp-reply-unpinned-source
        if (sendto(fd, q, n, 0, (const struct sockaddr *)&reply_to, sl) < 0)
            break;
    }
}

/* reply sent by a helper that gets the peer as a parameter */
static void send_reply(int fd, const void *msg, size_t len, const struct sockaddr *to, socklen_t tolen) {
    // ruleid: c-wildcard-udp-reply-unpinned-source
    sendto(fd, msg, len, 0, to, tolen);
}

/* the request (peer included) travels in a struct */
static void answer(struct request *req) {
    req->buf[0] = 'A';
    // ruleid: c-wildcard-udp-reply-unpinned-source
    sendto(req->fd, req->buf, req->len, 0, (struct sockaddr *)&req->from, req->fromlen);
}

static void serve_one(int fd) {
    struct request req;
    req.fd = fd;
    req.fromlen = sizeof req.from;
    req.len = recvfrom(fd, req.buf, sizeof req.buf, 0, (struct sockaddr *)&req.from, &req.fromlen);
    if (req.len > 0)
        answer(&req);
    send_reply(fd, "ok", 2, (struct sockaddr *)&req.from, req.fromlen);
}

/* forwarding to a configured upstream is not a reply to the sender */
static void forward(int fd, const char *upstream_ip) {
    struct sockaddr_in up;
    char pkt[512];
    memset(&up, 0, sizeof up);
    up.sin_family = AF_INET;
    up.sin_port = htons(514);
    inet_pton(AF_INET, upstream_ip, &up.sin_addr);
    ssize_t n = recvfrom(fd, pkt, sizeof pkt, 0, NULL, NULL);
    // ok: c-wildcard-udp-reply-unpinned-source
    sendto(fd, pkt, n, 0, (struct sockaddr *)&up, sizeof up);
}

int main(void) {
    int fd = open_server(5300);
    serve_one(fd);
    forward(fd, "192.0.2.1");
    dns_loop(fd);
    echo_loop(fd);
    return 0;
}
