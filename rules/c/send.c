#define _GNU_SOURCE
#include <sys/socket.h>
void reply(int fd, const char *buf, int n, const struct sockaddr *to, socklen_t tolen, struct msghdr *m) {
    // ruleid: udplint.fact.c.send.sendto
    sendto(fd, buf, n, 0, to, tolen);
    // ruleid: udplint.fact.c.send.sendmsg
    sendmsg(fd, m, 0);
    // ruleid: udplint.fact.c.send.sendmsg
    sendmmsg(fd, (struct mmsghdr *)m, 1, 0);
    // ok: udplint.fact.c.send.sendto
    send(fd, buf, n, 0);
}
