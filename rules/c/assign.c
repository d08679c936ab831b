#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
struct conn { struct sockaddr_storage addr; };
void keep(struct conn *c, const struct sockaddr_storage *from, struct msghdr *m, struct addrinfo *hints) {
    struct sockaddr_storage copy;
    struct sockaddr_in sin;
    int n;
    // ruleid: udplint.fact.c.assign
    memcpy(&c->addr, from, sizeof *from);
    // ruleid: udplint.fact.c.assign
    os_memcpy(&copy, from, sizeof copy);
    // ruleid: udplint.fact.c.assign
    copy = *from;
    // ruleid: udplint.fact.c.assign
    copy = *(struct sockaddr_storage *)from;
    // ruleid: udplint.fact.c.assign
    m->msg_name = &copy;
    // ruleid: udplint.fact.c.assign
    sin.sin_addr.s_addr = htonl(INADDR_ANY);
    // ruleid: udplint.fact.c.assign
    hints->ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    // ruleid: udplint.fact.c.assign
    struct msghdr reply = { .msg_name = &copy, .msg_namelen = sizeof copy };
    // ok: udplint.fact.c.assign
    n = recvfrom(0, NULL, 0, 0, NULL, NULL);
    // ok: udplint.fact.c.assign
    n = n + 1;
    // ok: udplint.fact.c.assign
    memset(&copy, 0, sizeof copy);
    (void)reply;
    (void)sin;
}
