#define _GNU_SOURCE
#include <sys/socket.h>
// ruleid: udplint.fact.c.macro
#define xx_sendmmsg(s, vec, n, fl) \
    sendmmsg((s), (vec), (n), (fl))
// ruleid: udplint.fact.c.macro
#define REPLY(fd, b, n, to) sendto(fd, b, n, 0, (struct sockaddr *)(to), sizeof *(to))
// ok: udplint.fact.c.macro
#define MAX(a, b) ((a) > (b) ? (a) : (b))
int x;
