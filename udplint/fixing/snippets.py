"""The code a fix writes into a file, as a careful engineer would write it by hand.

`S` below is how the file names the socket module (`socket.` after `import socket`, `s.` after
`import socket as s`). The lab-verified rules behind every line (fix-patterns §2): enable
IP_PKTINFO (and IPV6_RECVPKTINFO on AF_INET6, with IP_PKTINFO kept for IPv4 peers of a dual-stack
socket, whose ipi6_addr would be a broadcast address), reply from `ipi_spec_dst` (never
`ipi_addr`), ifindex 0, never from a multicast IPv6 address, and send only a fresh message.
"""
from __future__ import annotations

HELPER = "reply_pktinfo"
CONSTANT = "IP_PKTINFO"

CONSTANT_LINE = 'IP_PKTINFO = getattr({S}, "IP_PKTINFO", 8)  # the Linux value; Python names it from 3.12\n'

HELPER_INET = '''\
def reply_pktinfo(ancdata):
    """The control message that sends a reply from the address its request was sent to."""
    for level, kind, data in ancdata:
        if level == {S}.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 12:
            # in_pktinfo is (ifindex, spec_dst, addr): pin spec_dst, ifindex 0 lets routing choose
            return [({S}.IPPROTO_IP, IP_PKTINFO, bytes(4) + data[4:8] + bytes(4))]
    return []
'''

HELPER_DUAL = '''\
def reply_pktinfo(ancdata):
    """The control message that sends a reply from the address its request was sent to."""
    found = {{(level, kind): data for level, kind, data in ancdata}}
    ipv4 = found.get(({S}.IPPROTO_IP, IP_PKTINFO), b"")
    if len(ipv4) >= 12:  # in_pktinfo is (ifindex, spec_dst, addr): pin spec_dst, ifindex 0
        return [({S}.IPPROTO_IP, IP_PKTINFO, bytes(4) + ipv4[4:8] + bytes(4))]
    ipv6 = found.get(({S}.IPPROTO_IPV6, {S}.IPV6_PKTINFO), b"")
    if len(ipv6) >= 20 and ipv6[0] != 0xFF:  # in6_pktinfo is (addr, ifindex); no multicast source
        return [({S}.IPPROTO_IPV6, {S}.IPV6_PKTINFO, ipv6[:16] + bytes(4))]
    return []
'''


def ancillary_size(S: str, ipv6: bool) -> str:
    if ipv6:
        return f"{S}.CMSG_SPACE(20) + {S}.CMSG_SPACE(12)"
    return f"{S}.CMSG_SPACE(12)"


def enable_lines(S: str, sock: str, family: str, options) -> list:
    """The setsockopt calls that make the kernel report each request's destination."""
    want_ipv4 = "IP_PKTINFO" not in options
    want_ipv6 = family in ("inet6", "dual", "unknown") and not options & {"IPV6_RECVPKTINFO"}
    lines = []
    if want_ipv6 and family == "unknown":
        lines.append(f"if {sock}.family == {S}.AF_INET6:\n"
                     f"    {sock}.setsockopt({S}.IPPROTO_IPV6, {S}.IPV6_RECVPKTINFO, 1)  # report each request's destination\n")
    elif want_ipv6:
        lines.append(f"{sock}.setsockopt({S}.IPPROTO_IPV6, {S}.IPV6_RECVPKTINFO, 1)  # report each request's destination\n")
    if want_ipv4:
        why = "and IPv4's, for v4-mapped peers" if family != "inet" else "report each request's destination"
        lines.append(f"{sock}.setsockopt({S}.IPPROTO_IP, IP_PKTINFO, 1)  # {why}\n")
    return lines


def server_methods(S: str, family: str) -> str:
    """socketserver: receive with recvmsg and hand handlers the reply's control message."""
    if family == "inet":
        enable = f"        self.socket.setsockopt({S}.IPPROTO_IP, IP_PKTINFO, 1)\n"
    else:
        enable = (f"        if self.address_family == {S}.AF_INET6:\n"
                  f"            self.socket.setsockopt({S}.IPPROTO_IPV6, {S}.IPV6_RECVPKTINFO, 1)\n"
                  f"        self.socket.setsockopt({S}.IPPROTO_IP, IP_PKTINFO, 1)\n")
    size = ancillary_size(S, family != "inet")
    return (
        "    def server_activate(self):\n"
        "        # report each request's destination address, to reply from it\n"
        f"{enable}"
        "        super().server_activate()\n"
        "\n"
        "    def get_request(self):\n"
        "        # requests are (data, socket, control message that pins the reply's source)\n"
        f"        data, ancdata, _flags, client_address = self.socket.recvmsg(self.max_packet_size, {size})\n"
        f"        return (data, self.socket, {HELPER}(ancdata)), client_address\n"
    )


def server_class(name: str, base: str, S: str, family: str) -> str:
    return (
        f"class {name}({base}):\n"
        f'    """A {base.rsplit(".", 1)[-1]} whose handlers reply from the address each request was sent to."""\n'
        "\n"
        f"{server_methods(S, family)}"
    )


DATAGRAM_HANDLER_METHODS = '''\
    def setup(self):
        # the server's requests are (data, socket, control message that pins the reply's source)
        self.request, self.reply_cmsgs = self.request[:2], self.request[2]
        super().setup()

    def finish(self):
        self.socket.sendmsg([self.wfile.getvalue()], self.reply_cmsgs, 0, self.client_address)
'''


ASYNCIO_TRANSPORT_NAME = "PktinfoDatagramTransport"

ASYNCIO_TRANSPORT = '''\
class PktinfoDatagramTransport({A}.DatagramTransport):
    """A datagram transport that hands the protocol each request's control data, so that its
    reply can leave from the address the request was sent to: asyncio's own transport reads
    with recvfrom() and writes with sendto(), which lose that address."""

    def __init__(self, loop, sock, protocol):
        super().__init__({{"socket": sock, "sockname": sock.getsockname()}})
        self._loop, self._sock, self._protocol = loop, sock, protocol
        loop.add_reader(sock, self._read_ready)
        loop.call_soon(protocol.connection_made, self)

    @classmethod
    async def create_endpoint(cls, loop, protocol_factory, local_addr=None, *, sock=None, family=0):
        """loop.create_datagram_endpoint(protocol_factory, local_addr=... or sock=...), served by this transport."""
        if sock is None:
            sock = {S}.socket(family or ({S}.AF_INET6 if ":" in local_addr[0] else {S}.AF_INET), {S}.SOCK_DGRAM)
            sock.bind(local_addr)
        if sock.family == {S}.AF_INET6:
            sock.setsockopt({S}.IPPROTO_IPV6, {S}.IPV6_RECVPKTINFO, 1)
        sock.setsockopt({S}.IPPROTO_IP, IP_PKTINFO, 1)  # also IPv4 peers of a dual-stack socket
        sock.setblocking(False)
        protocol = protocol_factory()
        return cls(loop, sock, protocol), protocol

    def _read_ready(self):
        try:
            data, ancdata, _flags, addr = self._sock.recvmsg(65535, {S}.CMSG_SPACE(20) + {S}.CMSG_SPACE(12))
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._protocol.error_received(error)
            return
        self._protocol.datagram_received(data, addr, ancdata)

    def sendto(self, data, addr=None, ancdata=()):
        try:
            self._sock.sendmsg([data], reply_pktinfo(ancdata), 0, addr)
        except (BlockingIOError, InterruptedError):
            pass  # the socket's send buffer is full: the datagram is dropped, as UDP may
        except OSError as error:
            self._protocol.error_received(error)

    def is_closing(self):
        return self._sock.fileno() < 0

    def close(self):
        if not self.is_closing():
            self._loop.remove_reader(self._sock)
            self._sock.close()
            self._loop.call_soon(self._protocol.connection_lost, None)

    abort = close
'''
