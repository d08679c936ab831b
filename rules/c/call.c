#include <stdio.h>
#include <sys/socket.h>
void handle(int fd, const char *buf, int n, const struct sockaddr *from, socklen_t len);
void loop(int fd, char *buf, struct sockaddr_storage *peer, socklen_t len) {
    // ruleid: udplint.fact.c.call
    handle(fd, buf, 4, (struct sockaddr *)peer, len);
    // ok: udplint.fact.c.call
    printf("%d\n", fd);
}
