#!/usr/bin/env python3
"""Show on loopback what some corpus programs really do with a reply (the 127.0.0.2 probe).

    python bench/realworld-native/probe.py            # every demo
    python bench/realworld-native/probe.py socat-udp-recvfrom atftpd-per-transfer-socket

Each demo runs the program Debian builds from the pinned source (the binary package of the same
source version, downloaded with `apt-get download` and unpacked with `dpkg-deb -x`; nothing is
installed), or compiles the case's file, bound to the wildcard on a free high port. It then sends
a request to 127.0.0.2 from a client connect()ed there (the reply is lost when it leaves from
another address) and from an unconnected client (shows the reply's real source address).
Loopback only, bounded timeouts, every process is killed when its demo ends (tests/oracle.py).
openbsd-inetd has no demo: its dg_badinput drops every datagram from 127.0.0.0/8 (inetd.c:539).
A benchmark helper, not a test: it downloads.
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))
sys.path.insert(0, str(HERE))

import oracle  # noqa: E402  (tests/oracle.py: loopback-only probes, process-group cleanup)
import run as corpus  # noqa: E402  (the private apt configuration and the source trees)

BINARIES = corpus.CACHE / "bin"
TFTP_FILE = b"probe.txt"


@dataclass(frozen=True)
class Binary:
    """A Debian binary package built from one of the manifest's source packages."""

    name: str
    version: str

    @property
    def root(self) -> Path:
        return BINARIES / f"{self.name}_{self.version.replace(':', '%')}"


@dataclass
class Demo:
    case: str
    binaries: Sequence[Binary]
    command: Callable[["Workspace"], List[str]]
    payload: bytes = b"probe"
    connected: bool = True  # a connected probe makes sense (not for TFTP: replies change port)


@dataclass
class Workspace:
    """Per-demo scratch directory, the server's port and, for forwarders, a backend port."""

    dir: Path
    port: int
    backend_port: int = 0

    def binary(self, package: Binary, path: str) -> str:
        return str(package.root / path)

    def write(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.write_text(text)
        return path


INETUTILS_INETD = Binary("inetutils-inetd", "2:2.4-2+deb12u3")
SOCAT = Binary("socat", "1.7.4.4-2")
RINETD = Binary("rinetd", "0.73-1")
COTURN = Binary("coturn", "4.6.1-1")
ATFTPD = Binary("atftpd", "0.8.0-3")
DOCKER = Binary("docker.io", "20.10.24+dfsg1-1+deb12u1+b6")  # binNMU of the pinned source
KNOT = [Binary("knot", "3.2.6-1"), Binary("libknot13", "3.2.6-1"), Binary("libdnssec9", "3.2.6-1"),
        Binary("libzscanner4", "3.2.6-1"),
        # libraries knotd links from other source packages
        Binary("liburcu8", "0.13.2-1"), Binary("liblmdb0", "0.9.24-1"), Binary("libxdp1", "1.3.1-1")]
DNS_QUERY = bytes.fromhex("123401000001000000000000") + b"\x07example\x00" + bytes.fromhex("00010001")


def _inetd_services(ws: Workspace, service: str) -> Path:
    """inetd picks a builtin by service name: map the name to our port in a private services file."""
    return ws.write("services", f"{service}\t{ws.port}/udp\n")


def _inetutils_inetd(ws: Workspace) -> List[str]:
    services = _inetd_services(ws, "echo")
    conf = ws.write("inetd.conf", "echo\tdgram\tudp\twait\troot\tinternal\n")
    inetd = ws.binary(INETUTILS_INETD, "usr/sbin/inetutils-inetd")
    return _with_services(services, [inetd, "-d", str(conf)])


def _with_services(services: Path, argv: List[str]) -> List[str]:
    # Bind-mount the private services file over /etc/services in a new mount namespace only.
    script = 'mount --bind "$0" /etc/services && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(services), *argv]


def _socat(address: str) -> Callable[[Workspace], List[str]]:
    def command(ws: Workspace) -> List[str]:
        socat = ws.binary(SOCAT, "usr/bin/socat")
        return [socat, "-T", "3", address.format(port=ws.port), "SYSTEM:cat"]
    return command


def _rinetd(ws: Workspace) -> List[str]:
    conf = ws.write("rinetd.conf", f"0.0.0.0 {ws.port}/udp 127.0.0.1 {ws.backend_port}/udp\n")
    return [ws.binary(RINETD, "usr/sbin/rinetd"), "-f", "-c", str(conf)]


def _turnutils_peer(ws: Workspace) -> List[str]:
    return [ws.binary(COTURN, "usr/bin/turnutils_peer"), "-p", str(ws.port)]


def _atftpd(ws: Workspace) -> List[str]:
    root = ws.dir / "tftproot"
    root.mkdir()
    (root / TFTP_FILE.decode()).write_bytes(b"hello over tftp\n")
    return [ws.binary(ATFTPD, "usr/sbin/atftpd"), "--daemon", "--no-fork", "--user", "root.root",
            "--logfile", "-", "--port", str(ws.port), "--bind-address", "0.0.0.0", str(root)]


def _docker_proxy(ws: Workspace) -> List[str]:
    proxy = [ws.binary(DOCKER, "usr/sbin/docker-proxy"), "-proto", "udp", "-host-ip", "0.0.0.0",
             "-host-port", str(ws.port), "-container-ip", "127.0.0.1",
             "-container-port", str(ws.backend_port)]
    # docker-proxy reports its status to dockerd on fd 3 and then closes fd 3: give it one, or
    # it closes its own listening socket
    return ["sh", "-c", 'exec "$@" 3>/dev/null', "sh", *proxy]


def _knotd(ws: Workspace) -> List[str]:
    conf = ws.write("knot.conf", f"""server:
    rundir: "{ws.dir}"
    listen: 0.0.0.0@{ws.port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{ws.dir}"
log:
  - target: stdout
    any: info
""")
    libraries = ":".join(str(b.root / "usr/lib/x86_64-linux-gnu") for b in KNOT)
    return ["env", f"LD_LIBRARY_PATH={libraries}", ws.binary(KNOT[0], "usr/sbin/knotd"), "-c", str(conf)]


def _ucasttest(ws: Workspace) -> List[str]:
    source = corpus.SOURCES / "libjgroups-java/tests/other/org/jgroups/tests/UcastTest.java"
    classes = ws.dir / "classes"
    built = subprocess.run(["javac", "-nowarn", "-d", str(classes), str(source)],
                           capture_output=True, text=True)
    if built.returncode != 0:
        raise oracle.OracleError("javac failed: " + built.stderr.strip()[-300:])
    # -receiver 0.0.0.0 PORT binds the same wildcard as the default null receiver_addr, on our port
    return ["java", "-cp", str(classes), "org.jgroups.tests.UcastTest", "-receiver", "0.0.0.0", str(ws.port)]


DEMOS = [
    Demo("inetutils-inetd-echo-dg", [INETUTILS_INETD], _inetutils_inetd),
    Demo("socat-udp-recvfrom", [SOCAT], _socat("UDP4-RECVFROM:{port},fork")),
    Demo("socat-udp-listen-connect", [SOCAT], _socat("UDP4-LISTEN:{port},fork,reuseaddr")),
    Demo("rinetd-udp-forward", [RINETD], _rinetd),
    Demo("coturn-peer-echo", [COTURN], _turnutils_peer),
    Demo("docker-proxy-udp", [DOCKER], _docker_proxy),
    Demo("jgroups-ucasttest-ack", [], _ucasttest),
    Demo("knot-udp-pktinfo", KNOT, _knotd, payload=DNS_QUERY),
    Demo("atftpd-per-transfer-socket", [ATFTPD], _atftpd,
         payload=b"\x00\x01" + TFTP_FILE + b"\x00octet\x00", connected=False),
]


# ---------------------------------------------------------------- fetching binaries

def fetch_binaries(binaries: Sequence[Binary]) -> None:
    missing = [b for b in binaries if not b.root.is_dir()]
    if not missing:
        return
    manifest = corpus.tomllib.loads((HERE / "manifest.toml").read_text())["debian"]
    options = corpus.write_apt_config(manifest["suites"], manifest["component"])
    update = subprocess.run(["apt-get", "-q", *options, "update"], capture_output=True, text=True)
    if update.returncode != 0:
        raise corpus.CorpusError("apt-get update failed: " + corpus._last_line(update.stderr))
    for binary in missing:
        with tempfile.TemporaryDirectory(dir=corpus.CACHE) as work:
            got = subprocess.run(["apt-get", "-q", *options, "download", f"{binary.name}={binary.version}"],
                                 cwd=work, capture_output=True, text=True)
            debs = list(Path(work).glob("*.deb"))
            if got.returncode != 0 or len(debs) != 1:
                raise corpus.CorpusError(f"cannot download {binary.name}={binary.version}: "
                                         + corpus._last_line(got.stderr))
            tree = Path(work) / "root"
            subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(tree)], check=True)
            BINARIES.mkdir(parents=True, exist_ok=True)
            tree.rename(binary.root)


# ---------------------------------------------------------------- probing

@contextmanager
def echo_backend(port: int) -> Iterator[None]:
    """A loopback echo server standing in for the forwarders' backend (rinetd, docker-proxy)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(65535)
            except socket.timeout:
                continue
            if data:  # rinetd opens each UDP "connection" with an empty datagram: not a request
                sock.sendto(data, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()


def _source(address: Optional[Tuple]) -> str:
    return "nothing" if address is None else f"{oracle.normalize_host(address[0])}:{address[1]}"


def run_demo(demo: Demo) -> str:
    fetch_binaries(demo.binaries)
    with tempfile.TemporaryDirectory(prefix="udplint-probe-") as scratch:
        ws = Workspace(Path(scratch), oracle.free_port(), oracle.free_port())
        argv = demo.command(ws)
        with echo_backend(ws.backend_port), oracle.run_server(argv, cwd=scratch) as server:
            oracle.wait_ready(ws.port, server=server, payload=demo.payload, timeout=10.0)
            unconnected = oracle.probe_unconnected("127.0.0.2", ws.port, payload=demo.payload, timeout=2.0)
            parts = [f"unconnected client to 127.0.0.2:{ws.port} got its reply from {_source(unconnected)}"]
            if demo.connected:
                connected = oracle.probe_connected("127.0.0.2", ws.port, payload=demo.payload, timeout=2.0)
                parts.append("a client connect()ed to 127.0.0.2 got "
                             + ("no reply" if connected is None else f"a reply from {_source(connected)}"))
    return "; ".join(parts)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="case ids (default: every demo)")
    args = parser.parse_args(argv)
    known = {demo.case: demo for demo in DEMOS}
    unknown = [c for c in args.cases if c not in known]
    if unknown:
        print(f"probe.py: no demo for {', '.join(unknown)}; demos: {', '.join(known)}", file=sys.stderr)
        return 2
    failed = 0
    for demo in [known[c] for c in args.cases] or DEMOS:
        try:
            print(f"{demo.case}: {run_demo(demo)}", flush=True)
        except (oracle.OracleError, corpus.CorpusError, OSError, subprocess.CalledProcessError) as error:
            failed += 1
            print(f"{demo.case}: could not probe: {str(error).strip().splitlines()[0][:200]}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
