"""The loopback proof for autofixes: fixed programs answer from the address the client used.

Each program runs as a subprocess (port in sys.argv[1]). The fixed program must answer a client
connect()ed to 127.0.0.2 (and, on dual-stack servers, ::ffff:127.0.0.2 and ::1), and must answer
every other probe (unconnected 127.0.0.1, the 127.255.255.255 broadcast) the way the original did,
and two requests sent at once from one client port to 127.0.0.1 and 127.0.0.2 are answered from
127.0.0.1 and 127.0.0.2.
Native IPv6 needs two more IPv6 addresses (client fd00::1, server asked on fd00::2): that test runs
in a private network namespace.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fix_oracle import fixed_correctly, observe_many, regressions, server_env
from oracle import OracleError, check_loopback, free_port, run_server, wait_ready
from udplint.api import check_paths
from udplint.fixing.apply import apply_fixes, plan_fixes_for_paths

HERE = Path(__file__).resolve().parent
FIX_FIXTURES = HERE / "fixtures" / "python_fix"
CORPUS = HERE / "fixtures" / "python"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the loopback proof needs Linux")


def _dual(path: Path) -> bool:
    return b"fix-family: dual" in path.read_bytes() or b"oracle-family: dual" in path.read_bytes()


def _fixable_fixtures():
    return sorted(p for p in FIX_FIXTURES.glob("*.py")
                  if not p.name.endswith(".fixed.py") and p.with_name(p.stem + ".fixed.py").exists())


def _judge(pairs, results):
    failures = []
    for index, (name, _dual_stack) in enumerate(pairs):
        before, after = results[2 * index], results[2 * index + 1]
        problems = regressions(before, after) + fixed_correctly(after)
        if "_error" in after:
            problems.append("fixed program did not run: " + after["_error"])
        if problems:
            failures.append(f"{name}: {problems}\n  original: {_shown(before)}\n  fixed: {_shown(after)}")
    return failures


def _shown(result):
    return {k: v for k, v in result.items() if k != "_log"} | {"log": result.get("_log", "")[-400:]}


def test_fixed_fixtures_answer_from_the_address_the_client_used():
    pairs, jobs = [], []
    for source in _fixable_fixtures():
        fixed = source.with_name(source.stem + ".fixed.py")
        pairs.append((source.name, _dual(source)))
        jobs.append(([sys.executable, str(source)], str(FIX_FIXTURES), _dual(source), None, True))
        jobs.append(([sys.executable, str(fixed)], str(FIX_FIXTURES), _dual(source), None, True))
    results = observe_many(jobs)
    for index, (name, _) in enumerate(pairs):  # the originals really have the bug
        assert results[2 * index].get("connected 127.0.0.2") is None, f"{name}: the original already answers"
    assert not _judge(pairs, results), "\n".join(_judge(pairs, results))


def test_fixed_corpus_servers_answer_and_none_regresses(tmp_path):
    """Every `# oracle: bug` corpus program (another engineer's fixtures, unseen by the fixer's
    author when they were written) that the fixer changes must be fixed on loopback."""
    work = tmp_path / "corpus"
    shutil.copytree(CORPUS, work)
    outcome = apply_fixes(plan_fixes_for_paths([str(work)], unsafe=True))
    changed = {c.path.relative_to(work).parts[0] for c in outcome.changes}
    pairs, jobs = [], []
    for entry in sorted(CORPUS.iterdir()):
        main_file = entry / "__main__.py" if entry.is_dir() else entry
        if not main_file.is_file() or not main_file.read_bytes().startswith(b"# oracle: bug"):
            continue
        for root in (CORPUS, work):
            argv = [sys.executable, "-m", entry.name] if entry.is_dir() else [sys.executable, str(root / entry.name)]
            jobs.append((argv, str(root), _dual(main_file), None, True))
        pairs.append((entry.name, _dual(main_file)))
    results = observe_many(jobs, workers=8)
    fixed_pairs = [(i, p) for i, p in enumerate(pairs) if p[0] in changed]
    assert len(fixed_pairs) >= 0.70 * len(pairs), f"only {len(fixed_pairs)} of {len(pairs)} bug programs get a fix"
    failures = _judge([p for _, p in fixed_pairs], [r for i, _ in fixed_pairs for r in results[2 * i:2 * i + 2]])
    assert not failures, "\n".join(failures)
    for index, (name, _) in enumerate(pairs):  # the ones left are left alone and still serve
        if name not in changed:
            assert results[2 * index + 1].get("_alive"), name
    left = {Path(f.filename).parts[-2 if Path(f.filename).name == "__main__.py" else -1] for f in
            check_paths([str(work)], polyglot=False).findings}
    assert not left & changed


NETNS_SCRIPT = textwrap.dedent('''
    import socket, subprocess, sys, time
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for address in ("fd00::1/128", "fd00::2/128"):  # the client uses one, the server is asked on the other
        subprocess.run(["ip", "-6", "addr", "add", address, "dev", "lo", "nodad"], check=True)
    results = {}
    for label, program in (("original", sys.argv[1]), ("fixed", sys.argv[2])):
        server = subprocess.Popen([sys.executable, program, "40123"])
        try:
            got = None
            for _ in range(30):
                with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as c:
                    c.settimeout(0.2)
                    try:
                        c.sendto(b"ready?", ("::1", 40123)); c.recvfrom(100); break
                    except OSError:
                        time.sleep(0.1)
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as c:
                c.settimeout(1.0)
                c.bind(("fd00::1", 0))
                c.connect(("fd00::2", 40123))
                c.send(b"probe")
                try:
                    got = c.recvfrom(100)[1][0]
                except OSError:
                    got = None
            results[label] = got
        finally:
            server.kill(); server.wait()
    print(results["original"], results["fixed"])
''')


def test_native_ipv6_in_a_private_network_namespace(tmp_path):
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        # a missing tool fails in CI, where .ci/install-toolchains.sh installs both
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("unshare or ip is missing (CI=true: run .ci/install-toolchains.sh)")
        pytest.skip("needs unshare and ip (util-linux, iproute2)")
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a user+network namespace here: {probe.stderr.decode().strip()}")
    script = tmp_path / "netns_probe.py"
    script.write_text(NETNS_SCRIPT)
    source = FIX_FIXTURES / "plain_dualstack.py"
    done = subprocess.run(["unshare", "-rn", sys.executable, str(script), str(source),
                           str(source.with_name("plain_dualstack.fixed.py"))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    original, fixed = done.stdout.split()
    assert original == "None"  # native IPv6 shows the bug: the reply leaves from ::1
    assert fixed == "fd00::2"


# threads, a thread per request, a queue to workers, and deferred asyncio replies: each overlaps two requests
THREADED = ["plain_thread_per_request.fixed.py", "socketserver_handlers.fixed.py", "plain_queue_threads.fixed.py",
            "asyncio_protocol.fixed.py"]


def _concurrent_replies(port: int):
    """From one client port, send to 127.0.0.1 and 127.0.0.2 back to back (the server handles
    both at once); return {destination: source of the reply that echoes it}."""
    check_loopback("127.0.0.2")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.1", 0))
        client.settimeout(2.0)
        for destination in ("127.0.0.1", "127.0.0.2"):
            client.sendto(f"to {destination}".encode(), (destination, port))
        sources = {}
        try:
            while len(sources) < 2:
                data, (host, _port) = client.recvfrom(2048)
                sources[data.decode().rsplit(" ", 1)[-1]] = host
        except socket.timeout:
            pass
        return sources


@pytest.mark.parametrize("name", THREADED)
def test_concurrent_requests_from_one_client_port_are_each_answered_from_their_address(name):
    program = FIX_FIXTURES / name
    for _ in range(3):
        port = free_port()
        with run_server([sys.executable, str(program), str(port)], cwd=str(FIX_FIXTURES), env=server_env()) as server:
            try:
                wait_ready(port, server=server)
            except OracleError:
                if "Address already in use" in server.output():
                    continue
                raise
            assert _concurrent_replies(port) == {"127.0.0.1": "127.0.0.1", "127.0.0.2": "127.0.0.2"}, server.output()
            return
    pytest.fail("no free port")
