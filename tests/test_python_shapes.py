"""Shapes of real projects that take more than one module (issue 9): each test writes a small
project, checks it in one run, and compares the findings (file, line, code) exactly."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

from udplint.api import RunOptions, check_paths

ECHO_SERVER = """\
import socket


class Relay:
    def __init__(self, config):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((config["server"], config["port"]))

    def serve(self):
        data, addr = self.sock.recvfrom(512)
        self.sock.sendto(data, addr)
"""


def write(root: Path, files: Dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def findings(*paths: Path, cwd: Path):
    result = check_paths([str(p) for p in paths], polyglot=False, options=RunOptions(jobs=1, use_cache=False))
    assert not result.errors, result.errors
    return sorted((Path(f.filename).resolve().relative_to(cwd).as_posix(), f.location.row, f.code)
                  for f in result.findings)


def test_a_class_called_through_its_module_receives_its_arguments(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/relay.py": ECHO_SERVER,
        "app/main.py": """\
            from app import relay


            def main():
                relay.Relay({"server": "0.0.0.0", "port": 9999}).serve()
            """,
    })
    assert findings(tmp_path / "app", cwd=tmp_path) == [("app/relay.py", 11, "UDP001")]


def test_a_package_attribute_wins_over_a_submodule_of_the_same_name(tmp_path):
    # `from . import config` is the instance __init__ makes, and its host a property's default
    write(tmp_path, {
        "dev/__init__.py": "from .config import Config\nconfig = Config()\n",
        "dev/config.py": """\
            class Config:
                DEFAULTS = dict(host="", port=5300)

                def __init__(self):
                    self._data = {}

                @property
                def host(self):
                    return self._data.get("host", self.DEFAULTS["host"])

                @property
                def port(self):
                    return self._data.get("port", self.DEFAULTS["port"])
            """,
        "dev/server.py": """\
            import socket

            from . import config


            class Server:
                def __init__(self, config=config):
                    self.config = config

                def run(self):
                    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    sock.bind((self.config.host, self.config.port))
                    query, client = sock.recvfrom(512)
                    sock.sendto(query, client)
            """,
    })
    assert findings(tmp_path / "dev", cwd=tmp_path) == [("dev/server.py", 14, "UDP001")]


def test_distributions_checked_together_do_not_share_attribute_names(tmp_path):
    # one distribution stores a wildcard on an object nothing knows; another reads an attribute
    # of the same name off its own unknown object: checked together, the second is still no bug
    client = {
        "setup.py": "",
        "tool/__init__.py": "",
        "tool/client.py": """\
            import socket


            def configure(options):
                options.listen_host = "0.0.0.0"


            def ping(options):
                configure(options)
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.sendto(b"ping", (options.server, 5300))
            """,
    }
    server = {
        "setup.py": "",
        "srv/__init__.py": "",
        "srv/server.py": """\
            import socket


            def serve(options):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind((options.listen_host, 5300))
                data, addr = sock.recvfrom(512)
                sock.sendto(data, addr)
            """,
    }
    write(tmp_path / "dist-a", client)
    write(tmp_path / "dist-b", server)
    assert findings(tmp_path / "dist-a", tmp_path / "dist-b", cwd=tmp_path) == []
    # inside one distribution the same store and read are one flow
    write(tmp_path / "dist-c", {**server, "srv/client.py": client["tool/client.py"]})
    assert findings(tmp_path / "dist-c", cwd=tmp_path) == [("dist-c/srv/server.py", 8, "UDP001")]


def test_a_classmethod_called_through_its_class_binds_its_arguments_after_cls(tmp_path):
    # `Pool.make(address)`: `cls` is the class, `address` the first argument
    write(tmp_path, {
        "server.py": """\
            import socket


            class Pool:
                @classmethod
                def make(cls, address=None):
                    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                    sock.bind(address)
                    return sock


            class Server:
                def __init__(self, host="::", port=623):
                    info = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0]
                    self.sock = Pool.make(info[4])

                def serve(self):
                    data, peer = self.sock.recvfrom(512)
                    self.sock.sendto(data, peer)
            """,
    })
    assert findings(tmp_path, cwd=tmp_path) == [("server.py", 19, "UDP001")]


def test_a_received_pair_extended_by_a_tuple_keeps_the_peer_in_place(tmp_path):
    # `sock.recvfrom(n) + (sock,)`: positions 0 and 1 are still the data and the sender
    write(tmp_path, {
        "server.py": """\
            import socket

            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("", 623))


            def receive(s):
                return s.recvfrom(512) + (s,)


            packet = receive(sock)
            packet[2].sendto(packet[0], packet[1])
            """,
    })
    assert findings(tmp_path, cwd=tmp_path) == [("server.py", 12, "UDP001")]


def test_a_library_checked_with_an_application_keeps_its_own_finding(tmp_path):
    # the library's default binds '::' whoever starts it; an application checked in the same run
    # hands it '0.0.0.0': a finding where the application decides, and the library's own
    write(tmp_path / "lib", {
        "setup.py": "",
        "bmc/__init__.py": "",
        "bmc/server.py": """\
            import socket


            class Server:
                def __init__(self, host="::", port=623):
                    self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                    self.sock.bind((host, port))

                def serve(self):
                    data, peer = self.sock.recvfrom(512)
                    self.sock.sendto(data, peer)
            """,
    })
    write(tmp_path / "app", {
        "setup.py": "",
        "app/__init__.py": "",
        "app/main.py": """\
            from bmc.server import Server


            def main():
                Server(host="0.0.0.0").serve()
            """,
    })
    assert findings(tmp_path / "lib", tmp_path / "app", cwd=tmp_path) == [
        ("app/app/main.py", 5, "UDP001"), ("lib/bmc/server.py", 11, "UDP001")]


def test_relative_imports_inside_a_package_folder_named_by_its_version(tmp_path):
    # an unpacked distribution that is its own package (`__init__.py` at the top, installed under
    # another name): `from .. import network` must still find the sibling module
    write(tmp_path / "enip-5.2.5", {
        "__init__.py": "",
        "defaults.py": "address = ('', 44818)\n",
        "server/__init__.py": "",
        "server/network.py": """\
            import socket


            def server_main(address, target=None):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind(address)
                target(sock)
            """,
        "server/main.py": """\
            from .. import defaults
            from . import network


            def serve(conn):
                data, addr = conn.recvfrom(512)
                conn.sendto(data, addr)


            def main():
                network.server_main(address=defaults.address, target=serve)
            """,
    })
    assert findings(tmp_path / "enip-5.2.5", cwd=tmp_path) == [("enip-5.2.5/server/network.py", 6, "UDP001")]


def test_a_modelled_library_checked_beside_the_project_is_still_the_model(tmp_path):
    # asyncio-dgram's own source in the tree (a corpus of distributions checked together): the
    # project's stream is the model's, its send(data, addr) a reply, wherever the library lives
    write(tmp_path, {
        "asyncio-dgram-3.0.0/pyproject.toml": "",
        "asyncio-dgram-3.0.0/asyncio_dgram/__init__.py": "from .aio import bind, connect, from_socket\n",
        "asyncio-dgram-3.0.0/asyncio_dgram/aio.py": """\
            import asyncio


            class DatagramStream:
                def __init__(self, transport, queue):
                    self._transport = transport
                    self._queue = queue

                async def recv(self):
                    return await self._queue.get()

                async def send(self, data, addr=None):
                    self._transport.sendto(data, addr)


            async def from_socket(sock):
                loop = asyncio.get_running_loop()
                queue = asyncio.Queue()
                transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, sock=sock)
                return DatagramStream(transport, queue)


            async def bind(addr):
                return None


            async def connect(addr):
                return None
            """,
        "responder-1.0/pyproject.toml": "",
        "responder-1.0/responder.py": """\
            import socket

            import asyncio_dgram


            async def serve():
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind(("", 1900))
                stream = await asyncio_dgram.from_socket(sock)
                data, peer = await stream.recv()
                await stream.send(b"HTTP/1.1 200 OK\\r\\n\\r\\n", peer)
            """,
    })
    assert findings(tmp_path / "asyncio-dgram-3.0.0", tmp_path / "responder-1.0", cwd=tmp_path) == [
        ("responder-1.0/responder.py", 11, "UDP001")]


LOOPS_OVER_SOCKETS = """\
    import asyncio
    import socket


    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.transport = transport

        def datagram_received(self, data, addr):
            self.transport.sendto(data, addr)


    async def handle(reader, writer):
        writer.close()


    def share(sock):
        return sock


    async def serve(tcp_sockets, udp_sockets):
        loop = asyncio.get_running_loop()
        for sock in tcp_sockets:
            sock = share(sock)
            await asyncio.start_server(handle, sock=sock)
        for sock in udp_sockets:
            sock = share(sock)
            await loop.create_datagram_endpoint(Echo, sock=sock)


    def main():
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("0.0.0.0", 8000))
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((UDP_HOST, 8000))
        asyncio.run(serve([tcp], [udp]))
    """


def test_each_loop_over_sockets_has_its_own_loop_variable(tmp_path):
    # hypercorn's worker_serve: `for sock in ...` over the TCP sockets, then over the QUIC ones,
    # each body rebinding `sock`; the datagram endpoint adopts only the second loop's sockets
    write(tmp_path, {"app/server.py": "UDP_HOST = '127.0.0.1'\n" + textwrap.dedent(LOOPS_OVER_SOCKETS)})
    assert findings(tmp_path / "app", cwd=tmp_path) == []
    write(tmp_path, {"app/server.py": "UDP_HOST = '0.0.0.0'\n" + textwrap.dedent(LOOPS_OVER_SOCKETS)})
    assert findings(tmp_path / "app", cwd=tmp_path) == [("app/server.py", 11, "UDP001")]


DEFAULT_HOST_SERVER = textwrap.dedent("""\
    import socket


    class EchoServer:
        def __init__(self, host="0.0.0.0", port=9999):
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((host, port))

        def serve(self):
            while True:
                data, addr = self.sock.recvfrom(512)
                self.sock.sendto(data, addr)
    """)


def test_a_wildcard_default_counts_unless_every_call_passes_the_host(tmp_path):
    # every construction in the module passes a host: the default is dead
    write(tmp_path, {"one/server.py": DEFAULT_HOST_SERVER + "\n\ndef main():\n    EchoServer('127.0.0.1').serve()\n"})
    assert findings(tmp_path / "one", cwd=tmp_path) == []
    # one construction leaves it out
    write(tmp_path, {"two/server.py": DEFAULT_HOST_SERVER
                     + "\n\ndef main():\n    EchoServer('127.0.0.1').serve()\n    EchoServer(port=5).serve()\n"})
    assert findings(tmp_path / "two", cwd=tmp_path) == [("two/server.py", 12, "UDP001")]
    # the command line in another module passes the host: still dead
    write(tmp_path, {"three/server.py": DEFAULT_HOST_SERVER,
                     "three/cli.py": "import server\n\n\ndef main(host='127.0.0.1'):\n    server.EchoServer(host).serve()\n"})
    assert findings(tmp_path / "three", cwd=tmp_path) == []
    # another module makes one without it, or hands the class on: the default is live
    write(tmp_path, {"five/server.py": DEFAULT_HOST_SERVER + "\n\ndef main():\n    EchoServer('127.0.0.1').serve()\n",
                     "five/demo.py": "from server import EchoServer\n\nEchoServer().serve()\n"})
    assert findings(tmp_path / "five", cwd=tmp_path) == [("five/server.py", 12, "UDP001")]
    write(tmp_path, {"six/server.py": DEFAULT_HOST_SERVER + "\n\ndef main():\n    EchoServer('127.0.0.1').serve()\n",
                     "six/app.py": "from server import EchoServer\n\nSERVER_CLASS = EchoServer\n"})
    assert findings(tmp_path / "six", cwd=tmp_path) == [("six/server.py", 12, "UDP001")]
    # nothing in the program makes one: an entry point or a library's class keeps its default
    write(tmp_path, {"four/server.py": DEFAULT_HOST_SERVER})
    assert findings(tmp_path / "four", cwd=tmp_path) == [("four/server.py", 12, "UDP001")]


def test_a_librarys_reply_pairs_with_its_own_server_before_an_applications(tmp_path):
    """An application checked beside a library reuses the library's send helper for its own
    server: the helper's reply answers the peers of both, and the library's own wildcard server
    must keep its finding (it went to the application's server, made first, and was lost)."""
    app = write(tmp_path / "honeypot", {
        "setup.py": "",
        "honeypot/__init__.py": "",
        "honeypot/ipmi_server.py": """\
            import socket

            from honeypot.fakesession import answer


            def serve(port):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind(("0.0.0.0", port))
                while True:
                    data, addr = sock.recvfrom(512)
                    answer(sock, data, addr)
            """,
        "honeypot/fakesession.py": """\
            from bmclib.session import send_datagram


            def answer(sock, data, addr):
                send_datagram(sock, data, addr)
            """,
    })
    lib = write(tmp_path / "bmclib", {
        "setup.py": "",
        "bmclib/__init__.py": "",
        "bmclib/session.py": """\
            import socket


            def send_datagram(sock, packet, sockaddr):
                sock.sendto(packet, sockaddr)


            class Server:
                def __init__(self, address="::", port=623):
                    self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                    self.sock.bind((address, port))

                def serve(self):
                    while True:
                        data, peer = self.sock.recvfrom(512)
                        send_datagram(self.sock, data, peer)
            """,
    })
    assert findings(app, lib, cwd=tmp_path) == [
        ("bmclib/bmclib/session.py", 5, "UDP001"),
        ("honeypot/honeypot/ipmi_server.py", 8, "UDP001"),
    ]
