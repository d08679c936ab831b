#include <string.h>
#include <sys/socket.h>
struct conn { struct sockaddr_storage addr; };
void keep(struct conn *c, const struct sockaddr_storage *from, struct msghdr *m) {
    struct sockaddr_storage copy;
    // ruleid: udplint.fact.c.assign
    memcpy(&c->addr, from, sizeof *from);
    // ruleid: udplint.fact.c.assign
    copy = *from;
    // ruleid: udplint.fact.c.assign
    m->msg_name = &copy;
    // ok: udplint.fact.c.assign
    memset(&copy, 0, sizeof copy);
}
