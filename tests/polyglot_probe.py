"""Start one UDP echo server and probe it on loopback; print the outcome as JSON.

Run as a script so it can also run inside a private network namespace (``unshare -rn``), where
the probes must live in the same namespace as the server:

    python polyglot_probe.py [--add-lo-address] PORT -- SERVER_CMD... {port}

Probes: a client connect()ed to 127.0.0.1 and to 127.0.0.2 (a reply from another source is
dropped by the kernel: ``null``), and an unconnected client sending to 127.0.0.2 (shows the
reply's real source). Loopback only, every wait bounded, the server (its own process group)
is always killed.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

PROBE_TIMEOUT = 1.0
READY_TIMEOUT = 20.0


def probe(addr: str, port: int, connected: bool):
    """Send one datagram; return the reply's source address, or None if nothing arrived."""
    assert addr.startswith("127."), addr  # loopback only
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(PROBE_TIMEOUT)
        try:
            if connected:
                s.connect((addr, port))
                s.send(b"ping")
            else:
                s.sendto(b"ping", (addr, port))
            data, src = s.recvfrom(2048)
        except (socket.timeout, ConnectionRefusedError):
            return None
    return src[0] if data == b"echo:ping" else None


def wait_ready(proc: subprocess.Popen) -> bool:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            line = proc.stdout.readline()
            if not line:
                return False
            if line.startswith(b"ready"):
                return True
        elif proc.poll() is not None:
            return False
    return False


def run(port: int, cmd: list) -> dict:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_ready(proc):
            return {"ready": False, "rc": proc.poll()}
        return {
            "ready": True,
            "connected_127.0.0.1": probe("127.0.0.1", port, True),
            "connected_127.0.0.2": probe("127.0.0.2", port, True),
            "unconnected_127.0.0.2": probe("127.0.0.2", port, False),
        }
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
        proc.stdout.close()


def main(argv: list) -> int:
    add_address = argv[:1] == ["--add-lo-address"]
    if add_address:
        argv = argv[1:]
        # a fresh network namespace: bring lo up and make 127.0.0.2 an interface address
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], check=True)
    port = int(argv[0])
    cmd = [a.replace("{port}", str(port)) for a in argv[2:]]
    print(json.dumps(run(port, cmd)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
