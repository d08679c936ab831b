#define _GNU_SOURCE
#include <sys/socket.h>
struct req { struct sockaddr_storage from; socklen_t fromlen; char buf[512]; };
void serve(int fd, struct req *r, struct msghdr *m, struct mmsghdr *v) {
    // ruleid: udplint.fact.c.receive.recvfrom
    recvfrom(fd, r->buf, sizeof r->buf, 0, (struct sockaddr *)&r->from, &r->fromlen);
    // ruleid: udplint.fact.c.receive.recvmsg
    recvmsg(fd, m, 0);
    // ruleid: udplint.fact.c.receive.recvmsg
    recvmmsg(fd, v, 8, 0, NULL);
    // ok: udplint.fact.c.receive.recvfrom
    recv(fd, r->buf, sizeof r->buf, 0);
}
