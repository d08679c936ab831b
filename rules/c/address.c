#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
void prepare(struct sockaddr_in *sin, const char *host, const char *port, struct addrinfo **res) {
    struct addrinfo hints;
    // ruleid: udplint.fact.c.address.zero
    memset(&hints, 0, sizeof hints);
    // ruleid: udplint.fact.c.address.zero
    bzero(sin, sizeof *sin);
    // ok: udplint.fact.c.address.zero
    memset(sin, 0xff, sizeof *sin);
    // ruleid: udplint.fact.c.address.zero
    os_memset(&hints, 0, sizeof hints);
    // ruleid: udplint.fact.c.address.getaddrinfo
    getaddrinfo(NULL, port, &hints, res);
    // ruleid: udplint.fact.c.address.parse
    inet_pton(AF_INET, host, &sin->sin_addr);
    // ruleid: udplint.fact.c.address.parse
    inet_aton(host, &sin->sin_addr);
}
