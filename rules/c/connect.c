#include <sys/socket.h>
int dial(int fd, const struct sockaddr *server, socklen_t len) {
    // ruleid: udplint.fact.c.connect
    return connect(fd, server, len);
}
int not_a_connect(int fd) {
    // ok: udplint.fact.c.connect
    return reconnect(fd);
}
