#include <netinet/in.h>
#include <sys/socket.h>
void join(int fd, struct ip_mreq *mreq, struct ipv6_mreq *m6) {
    // ruleid: udplint.fact.c.multicast
    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, sizeof *mreq);
    // ruleid: udplint.fact.c.multicast
    setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, m6, sizeof *m6);
    // ok: udplint.fact.c.multicast
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, mreq, 1);
}
