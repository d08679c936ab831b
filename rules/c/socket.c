#include <sys/socket.h>
struct server { int fd; };
int open_all(struct server *srv, int family) {
    // ruleid: udplint.fact.c.socket
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    int tcp;
    // ruleid: udplint.fact.c.socket
    if ((tcp = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP)) < 0)
        return -1;
    // ruleid: udplint.fact.c.socket
    srv->fd = socket(family, SOCK_DGRAM, 0);
    // ok: udplint.fact.c.socket
    socketpair(AF_UNIX, SOCK_DGRAM, 0, NULL);
    return udp + tcp;
}
