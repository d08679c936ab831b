#include <sys/socket.h>
struct server;
// ruleid: udplint.fact.c.function
static ssize_t Sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t len) {
    return sendto(fd, buf, n, flags, to, len);
}
// ok: udplint.fact.c.function
int declared_only(struct server *srv);
// ruleid: udplint.fact.c.function
struct server *make_server(int fd) {
    return 0;
}
