'''The helper source a fix inserts into a module, once, right after its imports.

The helpers have no dependency on udplint. They pin each UDP reply's source address to the
address the request was sent to (IP_PKTINFO / IPV6_PKTINFO with recvmsg/sendmsg), and where that
is unavailable (not Linux, no recvmsg as on Windows) they behave exactly like recvfrom/sendto.
The reply path never fails because of packet info: any problem falls back to a plain sendto().

Each part is a (marker, source) pair: the marker is a name the part defines, so a second run can
see the part is already there.
'''
from __future__ import annotations

from typing import List, Sequence

BANNER = "# --- pktinfo helpers (udplint fix): reply from the address each request was sent to ---\n"
FOOTER = "# --- end of pktinfo helpers ---\n"

CORE = '''import socket as _pktinfo_socket
import struct as _pktinfo_struct
import sys as _pktinfo_sys
import weakref as _pktinfo_weakref

_PKTINFO_ON = _pktinfo_sys.platform.startswith("linux") and hasattr(_pktinfo_socket.socket, "recvmsg")
_PKTINFO_IP = getattr(_pktinfo_socket, "IP_PKTINFO", 8)  # Linux value; Python names it from 3.12
_PKTINFO_IPV6 = getattr(_pktinfo_socket, "IPV6_PKTINFO", 50)
_PKTINFO_IPV6_RECV = getattr(_pktinfo_socket, "IPV6_RECVPKTINFO", 49)
_PKTINFO_ANCBUF = 256  # room for IP_PKTINFO and IPV6_PKTINFO together
_pktinfo_enabled = _pktinfo_weakref.WeakSet()
_pktinfo_sources = {}  # (peer host, peer port) -> (IPv4 source, IPv6 source) of its last request


class _PktinfoAddr(tuple):
    """A peer address, equal to the plain tuple, that remembers where its request was sent."""

    pktinfo = None


def _pktinfo_enable(sock):
    """Ask the kernel for each datagram's destination address (IPv4 also on dual-stack sockets)."""
    if not _PKTINFO_ON or sock in _pktinfo_enabled:
        return
    family = getattr(sock, "family", None)
    if family == _pktinfo_socket.AF_INET6:
        try:
            sock.setsockopt(_pktinfo_socket.IPPROTO_IPV6, _PKTINFO_IPV6_RECV, 1)
        except (OSError, TypeError, ValueError):
            pass
    if family in (_pktinfo_socket.AF_INET, _pktinfo_socket.AF_INET6):
        try:
            sock.setsockopt(_pktinfo_socket.IPPROTO_IP, _PKTINFO_IP, 1)
        except (OSError, TypeError, ValueError):
            pass
    try:
        _pktinfo_enabled.add(sock)
    except TypeError:
        pass


def _pktinfo_remember(addr, ancdata):
    """Return `addr` carrying the request's destination (ipi_spec_dst / ipi6_addr), if any."""
    try:
        v4 = v6 = None
        for level, kind, data in ancdata:
            if level == _pktinfo_socket.IPPROTO_IP and kind == _PKTINFO_IP and len(data) >= 12:
                v4 = bytes(data[4:8])
            elif level == _pktinfo_socket.IPPROTO_IPV6 and kind == _PKTINFO_IPV6 and len(data) >= 20:
                v6 = bytes(data[:16])
        if v4 == bytes(4):
            v4 = None
        if v6 is not None and (v6[0] == 0xFF or v6 == bytes(16)):
            v6 = None  # never reply from a multicast group address
        if (v4 is None and v6 is None) or not isinstance(addr, tuple):
            return addr
        pinned = _PktinfoAddr(addr)
        pinned.pktinfo = (v4, v6)
        if len(_pktinfo_sources) >= 4096:
            _pktinfo_sources.clear()
        _pktinfo_sources[tuple(addr[:2])] = pinned.pktinfo
        return pinned
    except Exception:
        return addr


def _pktinfo_ancdata(sock, addr):
    """One fresh control message pinning the source for a reply to `addr`, or None."""
    try:
        source = getattr(addr, "pktinfo", None)
        if source is None:
            source = _pktinfo_sources.get(tuple(addr[:2]))
        if source is None:
            return None
        v4, v6 = source
        family = sock.family
        host = addr[0]
        v4_peer = isinstance(host, str) and (":" not in host or host.lower().startswith("::ffff:"))
        if v4 is not None and v4_peer and family in (_pktinfo_socket.AF_INET, _pktinfo_socket.AF_INET6):
            return [(_pktinfo_socket.IPPROTO_IP, _PKTINFO_IP, _pktinfo_struct.pack("=i4s4s", 0, v4, bytes(4)))]
        if v6 is not None and family == _pktinfo_socket.AF_INET6:
            return [(_pktinfo_socket.IPPROTO_IPV6, _PKTINFO_IPV6, _pktinfo_struct.pack("=16sI", v6, 0))]
    except Exception:
        pass
    return None


def _pktinfo_recvfrom(sock, bufsize, flags=0):
    """sock.recvfrom(bufsize, flags); the address also remembers the request's destination."""
    if not _PKTINFO_ON or not hasattr(sock, "recvmsg"):
        return sock.recvfrom(bufsize, flags)
    _pktinfo_enable(sock)
    data, ancdata, _msg_flags, addr = sock.recvmsg(bufsize, _PKTINFO_ANCBUF, flags)
    return data, _pktinfo_remember(addr, ancdata)


def _pktinfo_sendto(sock, data, *args):
    """sock.sendto(data[, flags], address), sent from the address the peer's request went to."""
    if _PKTINFO_ON and len(args) in (1, 2) and hasattr(sock, "sendmsg"):
        ancdata = _pktinfo_ancdata(sock, args[-1])
        if ancdata:
            try:
                return sock.sendmsg([data], ancdata, args[0] if len(args) == 2 else 0, args[-1])
            except (BlockingIOError, TimeoutError):
                raise
            except (OSError, TypeError, ValueError):
                pass  # e.g. the address was removed: answer the way the original code did
    return sock.sendto(data, *args)

'''

RECVFROM_INTO = '''def _pktinfo_recvfrom_into(sock, buffer, nbytes=0, flags=0):
    """sock.recvfrom_into(buffer, nbytes, flags); the address remembers the destination."""
    if not _PKTINFO_ON or not hasattr(sock, "recvmsg_into"):
        return sock.recvfrom_into(buffer, nbytes, flags)
    _pktinfo_enable(sock)
    with memoryview(buffer) as view:
        target = view[:nbytes] if nbytes else view
        count, ancdata, _msg_flags, addr = sock.recvmsg_into([target], _PKTINFO_ANCBUF, flags)
        if target is not view:
            target.release()
    return count, _pktinfo_remember(addr, ancdata)
'''

RECVMSG = '''def _pktinfo_recvmsg(sock, bufsize, ancbufsize=0, flags=0):
    """sock.recvmsg(...); the address remembers the request's destination. Code that asks for
    control data gets exactly what it asked for (nothing is enabled behind its back)."""
    if not _PKTINFO_ON:
        return sock.recvmsg(bufsize, ancbufsize, flags)
    if ancbufsize:
        data, ancdata, msg_flags, addr = sock.recvmsg(bufsize, ancbufsize, flags)
        return data, ancdata, msg_flags, _pktinfo_remember(addr, ancdata)
    _pktinfo_enable(sock)
    data, ancdata, msg_flags, addr = sock.recvmsg(bufsize, _PKTINFO_ANCBUF, flags)
    return data, [], msg_flags, _pktinfo_remember(addr, ancdata)
'''

SENDMSG = '''def _pktinfo_sendmsg(sock, buffers, ancdata=(), flags=0, *address):
    """sock.sendmsg(...); with no control data of its own, the reply pins its source."""
    buffers = list(buffers)
    if _PKTINFO_ON and len(address) == 1 and not ancdata:
        pinned = _pktinfo_ancdata(sock, address[0])
        if pinned:
            try:
                return sock.sendmsg(buffers, pinned, flags, *address)
            except (BlockingIOError, TimeoutError):
                raise
            except (OSError, TypeError, ValueError):
                pass
    return sock.sendmsg(buffers, ancdata, flags, *address)
'''

SOCKETSERVER = '''import socketserver as _pktinfo_socketserver


class _PktinfoReplySocket:
    """The server socket as a handler sees it in self.request: replies pin their source."""

    def __init__(self, sock):
        self._pktinfo_sock = sock

    def sendto(self, data, *args):
        return _pktinfo_sendto(self._pktinfo_sock, data, *args)

    def __getattr__(self, name):
        return getattr(self._pktinfo_sock, name)


class _PktinfoServerMixin:
    """Receives with recvmsg and hands handlers a socket whose replies pin their source."""

    def server_bind(self):
        _pktinfo_enable(self.socket)
        super().server_bind()

    def get_request(self):
        if not _PKTINFO_ON or not hasattr(self.socket, "recvmsg"):
            return super().get_request()
        data, client_addr = _pktinfo_recvfrom(self.socket, self.max_packet_size)
        return (data, _PktinfoReplySocket(self.socket)), client_addr


class _PktinfoUDPServer(_PktinfoServerMixin, _pktinfo_socketserver.UDPServer):
    pass


class _PktinfoThreadingUDPServer(_pktinfo_socketserver.ThreadingMixIn, _PktinfoUDPServer):
    pass


if hasattr(_pktinfo_socketserver, "ForkingMixIn"):

    class _PktinfoForkingUDPServer(_pktinfo_socketserver.ForkingMixIn, _PktinfoUDPServer):
        pass
'''

ASYNCIO = '''import asyncio as _pktinfo_asyncio
import collections as _pktinfo_collections


class _PktinfoDatagramTransport(_pktinfo_asyncio.DatagramTransport):
    """A datagram transport on loop.add_reader with recvmsg/sendmsg: the protocol is unchanged,
    and every reply leaves from the address its peer's last request was sent to."""

    def __init__(self, loop, sock, protocol):
        super().__init__({"socket": sock, "sockname": sock.getsockname(), "peername": None})
        self._loop, self._sock, self._protocol = loop, sock, protocol
        self._queue = _pktinfo_collections.deque()
        self._closing = False
        self._fileno = sock.fileno()
        loop.call_soon(protocol.connection_made, self)
        loop.call_soon(loop.add_reader, self._fileno, self._read_ready)

    def _read_ready(self):
        for _ in range(64):
            if self._closing:
                return
            try:
                data, addr = _pktinfo_recvfrom(self._sock, 65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._protocol.error_received(exc)
                return
            self._protocol.datagram_received(data, addr)

    def sendto(self, data, addr=None):
        if self._closing:
            return
        if addr is None:
            raise ValueError("a destination address is required")
        if not self._queue:
            try:
                _pktinfo_sendto(self._sock, data, addr)
                return
            except (BlockingIOError, InterruptedError):
                self._loop.add_writer(self._fileno, self._write_ready)
            except OSError as exc:
                self._protocol.error_received(exc)
                return
        self._queue.append((bytes(data), addr))

    def _write_ready(self):
        while self._queue:
            data, addr = self._queue[0]
            try:
                _pktinfo_sendto(self._sock, data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._protocol.error_received(exc)
            self._queue.popleft()
        self._loop.remove_writer(self._fileno)

    def get_write_buffer_size(self):
        return sum(len(data) for data, _ in self._queue)

    def get_protocol(self):
        return self._protocol

    def set_protocol(self, protocol):
        self._protocol = protocol

    def is_closing(self):
        return self._closing

    def close(self):
        if self._closing:
            return
        self._closing = True
        self._loop.remove_reader(self._fileno)
        self._loop.remove_writer(self._fileno)
        self._loop.call_soon(self._finish_close)

    def _finish_close(self):
        try:
            self._protocol.connection_lost(None)
        finally:
            self._sock.close()

    def abort(self):
        self._queue.clear()
        self.close()


_PKTINFO_ENDPOINT_OPTIONS = {"family", "proto", "flags", "reuse_port", "allow_broadcast"}


async def _pktinfo_create_datagram_endpoint(loop, protocol_factory, local_addr=None, **options):
    """loop.create_datagram_endpoint(...) for a server on a wildcard address, with replies
    pinned to each request's destination; any other case is passed to the loop unchanged."""
    given = options.get("sock")
    if given is not None:
        return await _pktinfo_endpoint_on(loop, protocol_factory, local_addr, options)
    host = local_addr[0] if isinstance(local_addr, tuple) and len(local_addr) >= 2 else None
    families = {"0.0.0.0": _pktinfo_socket.AF_INET, "": _pktinfo_socket.AF_INET, "::": _pktinfo_socket.AF_INET6}
    usable = (
        _PKTINFO_ON
        and host in families
        and set(options) <= _PKTINFO_ENDPOINT_OPTIONS
        and options.get("family", 0) in (0, families.get(host))
        and _pktinfo_has_reader(loop)
    )
    if not usable:
        return await loop.create_datagram_endpoint(protocol_factory, local_addr=local_addr, **options)
    sock = _pktinfo_socket.socket(families[host], _pktinfo_socket.SOCK_DGRAM)
    try:
        if options.get("reuse_port"):
            sock.setsockopt(_pktinfo_socket.SOL_SOCKET, _pktinfo_socket.SO_REUSEPORT, 1)
        if options.get("allow_broadcast"):
            sock.setsockopt(_pktinfo_socket.SOL_SOCKET, _pktinfo_socket.SO_BROADCAST, 1)
        _pktinfo_enable(sock)
        sock.bind((host, local_addr[1]))
        sock.setblocking(False)
        protocol = protocol_factory()
        transport = _PktinfoDatagramTransport(loop, sock, protocol)
    except BaseException:
        sock.close()
        raise
    return transport, protocol


def _pktinfo_has_reader(loop):
    return type(loop).add_reader is not _pktinfo_asyncio.AbstractEventLoop.add_reader


async def _pktinfo_endpoint_on(loop, protocol_factory, local_addr, options):
    """create_datagram_endpoint(sock=...) on a wildcard-bound UDP socket, with pinned replies."""
    sock = options["sock"]
    try:
        usable = (
            _PKTINFO_ON
            and local_addr is None
            and set(options) == {"sock"}
            and _pktinfo_has_reader(loop)
            and sock.type == _pktinfo_socket.SOCK_DGRAM
            and sock.family in (_pktinfo_socket.AF_INET, _pktinfo_socket.AF_INET6)
            and sock.getsockname()[0] in ("0.0.0.0", "::")
        )
    except (OSError, AttributeError, TypeError, IndexError):
        usable = False
    if not usable:
        return await loop.create_datagram_endpoint(protocol_factory, local_addr=local_addr, **options)
    _pktinfo_enable(sock)
    sock.setblocking(False)
    protocol = protocol_factory()
    return _PktinfoDatagramTransport(loop, sock, protocol), protocol
'''

PARTS = {
    "core": ("def _pktinfo_sendto(", CORE),
    "recvfrom_into": ("def _pktinfo_recvfrom_into(", RECVFROM_INTO),
    "recvmsg": ("def _pktinfo_recvmsg(", RECVMSG),
    "sendmsg": ("def _pktinfo_sendmsg(", SENDMSG),
    "socketserver": ("class _PktinfoServerMixin", SOCKETSERVER),
    "asyncio": ("class _PktinfoDatagramTransport", ASYNCIO),
}
ORDER = ("core", "recvfrom_into", "recvmsg", "sendmsg", "socketserver", "asyncio")


def missing_parts(source: str, wanted: Sequence[str]) -> List[str]:
    """The parts in `wanted` (plus the core they build on) that `source` does not define yet."""
    needed = set(wanted) | ({"core"} if wanted else set())
    return [name for name in ORDER if name in needed and PARTS[name][0] not in source]


def helper_block(parts: Sequence[str]) -> str:
    """The text to insert for `parts` (in order), framed by banner lines."""
    body = "\n\n".join(PARTS[name][1].strip("\n") + "\n" for name in ORDER if name in parts)
    return BANNER + body + FOOTER
