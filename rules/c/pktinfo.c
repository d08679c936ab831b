#define _GNU_SOURCE
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
void build(struct cmsghdr *c, struct in_pktinfo *out, const struct in_pktinfo *in, struct in6_pktinfo *o6,
           const struct in6_addr *dst) {
    // ruleid: udplint.fact.c.pktinfo
    c->cmsg_type = IP_PKTINFO;
    // ruleid: udplint.fact.c.pktinfo
    out->ipi_spec_dst = in->ipi_spec_dst;
    // ruleid: udplint.fact.c.pktinfo
    out->ipi_addr.s_addr = 0;
    // ruleid: udplint.fact.c.pktinfo
    memcpy(&o6->ipi6_addr, dst, sizeof *dst);
    // ok: udplint.fact.c.pktinfo
    c->cmsg_level = IPPROTO_IP;
}
