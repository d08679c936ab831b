#include <netdb.h>
#include <sys/socket.h>
int listen_on(int fd, struct addrinfo *ai, struct sockaddr_in *sin) {
    // ruleid: udplint.fact.c.bind
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        return -1;
    // ruleid: udplint.fact.c.bind
    return bind(fd, (struct sockaddr *)sin, sizeof *sin);
}
void unrelated(void) {
    // ok: udplint.fact.c.bind
    rebind_all();
}
