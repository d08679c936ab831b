"""The engine's driving: summaries cached by content, workers, isolation, stages.

Every test checks real findings on real files: a cache that answered wrongly, or a worker that
lost a file, shows up as a changed finding list.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import udplint.cache
from udplint.api import RunOptions, check_paths
from udplint.python import extract, summary, workers

FIXTURES = Path(__file__).parent / "fixtures" / "python"
BUG = """\
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 9999))
while True:
    data, addr = sock.recvfrom(1024)
    sock.sendto(data, addr)
"""


def keys(result):
    return [(Path(f.filename).name, f.location.row, f.location.column, f.code, f.message) for f in result.findings]


def run(paths, cache_dir=None, jobs=1):
    options = RunOptions(jobs=jobs, cache_dir=cache_dir, use_cache=cache_dir is not None)
    return check_paths([str(p) for p in paths], polyglot=False, options=options)


@pytest.fixture
def project(tmp_path):
    work = tmp_path / "proj"
    work.mkdir()
    (work / "server.py").write_text(BUG)
    return work


def test_cache_hit_then_invalidated_by_an_edit(project, tmp_path):
    cache = tmp_path / "cache"
    first = run([project], cache)
    assert [k[:4] for k in keys(first)] == [("server.py", 7, 5, "UDP001")]
    assert first.cache.stats.misses >= 1 and first.cache.stats.hits == 0
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text().strip().endswith("*")

    again = run([project], cache)
    assert keys(again) == keys(first)
    assert again.analysis is None and again.cache.stats.hits == 1  # answered by the whole-run cache

    source = project / "server.py"
    source.write_text("# moved down a line\n" + BUG)
    edited = run([project], cache)
    assert [k[:4] for k in keys(edited)] == [("server.py", 8, 5, "UDP001")]
    assert edited.analysis is not None and edited.analysis.stats.extracted == 1


def test_summary_cache_is_used_when_another_file_changes(project, tmp_path):
    cache = tmp_path / "cache"
    (project / "other.py").write_text("import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'', ('h', 1))\n")
    run([project], cache)
    (project / "other.py").write_text("import socket\n# edited\nsocket.socket().sendto(b'', ('h', 1))\n")
    result = run([project], cache)
    assert result.analysis.stats.cached == 1 and result.analysis.stats.extracted == 1
    assert [k[:4] for k in keys(result)] == [("server.py", 7, 5, "UDP001")]


def test_setting_and_version_change_the_key(project, tmp_path, monkeypatch):
    base = udplint.cache.Cache(tmp_path / "c", settings_key="a")
    assert base.key(b"x") != udplint.cache.Cache(tmp_path / "c", settings_key="b").key(b"x")
    cache = tmp_path / "cache"
    run([project], cache)
    monkeypatch.setattr(udplint.cache, "__version__", "999.0")
    assert base.key(b"x") != udplint.cache.Cache(tmp_path / "c", settings_key="a").key(b"x")
    result = run([project], cache)  # a new version: nothing of the old cache is trusted
    assert result.analysis is not None and result.analysis.stats.extracted == 1
    assert [k[:4] for k in keys(result)] == [("server.py", 7, 5, "UDP001")]


def test_corrupt_and_foreign_entries_are_ignored(project, tmp_path):
    cache = tmp_path / "cache"
    expected = keys(run([project], cache))
    entries = [p for p in cache.rglob("*") if p.is_file() and p.name not in ("CACHEDIR.TAG", ".gitignore")]
    assert entries
    for number, entry in enumerate(entries):
        entry.write_bytes([b"garbage", b"udplint-summary\0\x03\x00\x00\x00" + os.urandom(64), b"{}"][number % 3])
    result = run([project], cache)
    assert keys(result) == expected
    assert result.cache.stats.rejected >= 1


def test_a_pickle_naming_other_code_is_rejected():
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    data = b"udplint-summary\0" + summary.SCHEMA.to_bytes(2, "little") + b"\0\0" + pickle.dumps(Evil())
    with pytest.raises(summary.BadSummary):
        summary.loads(data)


def test_summaries_survive_the_cache_round_trip():
    tree = __import__("libcst").parse_module((FIXTURES / "asyncio_echo_protocol.py").read_text())
    original = extract.summarise(tree)
    assert summary.loads(summary.dumps(original, b"v"), b"v") == original
    with pytest.raises(summary.BadSummary):
        summary.loads(summary.dumps(original, b"v"), b"w")


def test_same_findings_for_every_job_count_cold_and_warm(tmp_path):
    cold_1 = keys(run([FIXTURES], jobs=1))
    cold_2 = keys(run([FIXTURES], jobs=2))
    warm = keys(run([FIXTURES], tmp_path / "cache", jobs=2))
    warm_again = keys(run([FIXTURES], tmp_path / "cache", jobs=1))
    assert len(cold_1) >= 40
    assert cold_1 == cold_2 == warm == warm_again


@pytest.mark.parametrize("above", [0, float("inf")], ids=["fork-server", "fork"])
def test_workers_from_a_fork_server_or_forked_find_the_same(above, monkeypatch):
    monkeypatch.setattr(workers, "_FORK_SERVER_ABOVE", above)
    started = []
    real = workers.get_context
    monkeypatch.setattr(workers, "get_context", lambda *method: started.append(method) or real(*method))
    found = keys(run([FIXTURES], jobs=2))
    assert started and all(method == (("forkserver",) if above == 0 else ("fork",)) for method in started)
    assert len(found) >= 40 and found == keys(run([FIXTURES], jobs=1))


def test_a_crashing_worker_is_one_diagnostic_and_the_run_goes_on(project, monkeypatch):
    (project / "crash.py").write_text("import socket\nsocket.socket().sendto(b'', ('h', 1))  # CRASH-ME\n")
    real = extract.summarise

    def crash_on_marker(tree):
        if "CRASH-ME" in tree.code:
            os.kill(os.getpid(), signal.SIGSEGV)  # what libcst's parser does on some inputs
        return real(tree)

    monkeypatch.setattr(extract, "summarise", crash_on_marker)
    # forked from this process (not from a fork server), the workers see the patch
    monkeypatch.setattr(workers, "_FORK_SERVER_ABOVE", float("inf"))
    result = run([project], jobs=2)
    assert [k[:4] for k in keys(result)] == [("server.py", 7, 5, "UDP001")]
    [error] = result.errors
    assert Path(error.filename).name == "crash.py" and error.internal
    assert "SIGSEGV" in str(error) and "please report" in str(error)


def test_an_exception_in_extraction_is_one_internal_error(project, monkeypatch):
    (project / "odd.py").write_text("import socket\nsocket.socket().sendto(b'', ('h', 1))  # ODD\n")
    real = extract.summarise

    def fail(tree):
        if "# ODD" in tree.code:
            raise KeyError("boom")
        return real(tree)

    monkeypatch.setattr(extract, "summarise", fail)
    result = run([project], jobs=1)
    assert [k[:4] for k in keys(result)] == [("server.py", 7, 5, "UDP001")]
    assert [str(e).split(": ", 1)[1] for e in result.errors] == ["internal error: KeyError: 'boom' (please report)"]


@pytest.mark.parametrize("body", [
    "x = " + "(" * 1400 + "1" + ")" * 1400,  # crashed libcst's parser before
    "x = " + "+".join(["1"] * 20000),
    "x = a" + ".b" * 2000,
])
def test_deeply_nested_files_are_one_line_and_the_bug_beside_them_is_reported(project, body):
    (project / "deep.py").write_text(f"import socket\n{body}\nsock.sendto(b'x', addr)\n")
    result = run([project], jobs=2)
    assert ("server.py", 7, 5, "UDP001") in [k[:4] for k in keys(result)]
    [error] = result.errors
    assert Path(error.filename).name == "deep.py"
    assert error.kind in ("too-complex", "internal") and len(result.findings) == 1
    assert str(error).split(": ", 1)[1].startswith(("too large/complex to analyse", "internal error: RecursionError"))


def test_cli_exits_2_on_an_internal_error_and_still_prints_the_finding(project, tmp_path):
    (project / "odd.py").write_text("import socket\nsocket.socket().sendto(b'', ('h', 1))\n")
    script = (
        "import sys; from udplint.python import extract; real = extract.summarise\n"
        "def bad(tree):\n"
        "    if 'h' in tree.code and 'bind' not in tree.code: raise RecursionError('maximum recursion depth exceeded')\n"
        "    return real(tree)\n"
        "extract.summarise = bad\n"
        "from udplint.cli import main; sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "check", "--no-cache", "-j", "2", str(project)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "server.py:7:5: UDP001" in done.stdout
    assert "odd.py: internal error: RecursionError: maximum recursion depth exceeded (please report)" in done.stderr


def test_verbose_says_where_the_time_goes(project):
    done = subprocess.run([sys.executable, "-m", "udplint", "check", "--no-cache", "-v", str(project)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    for stage in ("prefilter:", "screen:", "summaries:", "solver:", "time: prefilter"):
        assert stage in done.stderr


def echo_library(dist, class_name):
    """dist/echolib/server.py: a server class whose host comes from its caller."""
    package = dist / "echolib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "server.py").write_text(
        f"import socket\n\n\nclass {class_name}:\n    def __init__(self, host, port):\n"
        "        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
        "        self.sock.bind((host, port))\n\n    def serve(self):\n        while True:\n"
        "            data, peer = self.sock.recvfrom(512)\n            self.sock.sendto(data, peer)\n"
    )


def test_a_driver_script_without_socket_markers_is_analysed(tmp_path):
    """The wildcard is decided in a script that only calls the library's server class."""
    echo_library(tmp_path / "dist", "EchoServer")
    examples = tmp_path / "dist" / "examples"
    examples.mkdir()
    (examples / "run.py").write_text("from echolib.server import EchoServer\n\nEchoServer('::', 7).serve()\n")
    shutil.copy(examples / "run.py", examples / "run_local.py")
    (examples / "run_local.py").write_text("from echolib.server import EchoServer\n\nEchoServer('::1', 7).serve()\n")
    result = run([tmp_path / "dist"], jobs=1)
    assert [(Path(f.filename).name, f.location.row, f.code) for f in result.findings] == [("run.py", 3, "UDP001")]
    assert result.findings[0].related[0].filename.endswith("server.py")


def test_drivers_are_only_files_that_can_hand_over_a_wildcard(tmp_path):
    """Importing a server module decides nothing by itself; `end=''` names no host."""
    from udplint.python import prefilter

    class Src:
        def __init__(self, name, text):
            self.path = tmp_path / name
            self.path.write_text(text)
            self.data = text.encode()

    core = Src("server.py", "import socket\ndef serve(sock):\n    data, peer = sock.recvfrom(9)\n")
    printer = Src("printer.py", "import server\nprint('x', end='')\nserver.serve(None)\n")
    passer = Src("passer.py", "import server\nserver.serve(('', 53))\n")
    config = Src("config.py", "HOST = '0.0.0.0'\n")
    reader = Src("reader.py", "import config\nimport server\nserver.serve(config.HOST)\n")
    chosen = prefilter.drivers([core], [printer, passer, config, reader])
    assert sorted(src.path.name for src in chosen) == ["passer.py", "reader.py"]
    assert not prefilter.holds_wildcard(b"print(a, sep='', end='')\n''.join(x)\n")
    assert prefilter.holds_wildcard(b"serve(host='')") and prefilter.holds_wildcard(b"x = INADDR_ANY")


def test_drivers_import_core_modules_by_their_resolved_names(tmp_path):
    """`from .base import x` in another package names that package's `base`, not every module called
    `base`; a script that hands a wildcard to a driver's helper is a driver too."""
    from udplint.python import prefilter

    class Src:
        def __init__(self, name, text):
            self.path = tmp_path / name
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(text)
            self.data = text.encode()

    for package in ("netlib", "mathlib"):
        Src(f"{package}/__init__.py", "")
    core = Src("netlib/base.py", "def serve(sock):\n    data, peer = sock.recvfrom(9)\n    sock.sendto(data, peer)\n")
    unrelated = Src("mathlib/expr.py", "from .base import Expr\nprint(Expr(''))\n")
    helper = Src("netlib/helpers.py", "from .base import serve\ndef start(host):\n    serve(host)\nstart('')\n")
    script = Src("run.py", "from netlib.helpers import start\nstart('0.0.0.0')\n")
    chosen = prefilter.drivers([core], [unrelated, helper, script])
    assert sorted(str(src.path.relative_to(tmp_path)) for src in chosen) == ["netlib/helpers.py", "run.py"]
    assert prefilter.imported_modules(b"from .. import a, b\nimport c as d\n", "p.q") == {"p", "p.a", "p.b", "c", "p.q.c"}


def test_files_with_equal_bytes_are_analysed_apart(tmp_path):
    """Equal bytes share one summary; the solver must still keep the two modules apart."""
    for folder in ("src", "scripts"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "echo.py").write_text(BUG)
    result = run([tmp_path], jobs=2)
    assert [(Path(f.filename).parent.name, f.location.row, f.related) for f in result.findings] == [
        ("scripts", 7, ()), ("src", 7, ())]
    assert all("(line 4)" in f.message for f in result.findings)


def test_positions_in_the_first_statement_of_a_file_without_a_header(tmp_path):
    (tmp_path / "first.py").write_text("def serve(sock):\n    while True:\n        data, addr = sock.recvfrom(512)\n"
                                      "        sock.sendto(data, addr)\n\n\nimport socket\n"
                                      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('', 53))\nserve(s)\n")
    [finding] = run([tmp_path]).findings
    assert (finding.location.row, finding.location.column) == (4, 9)
    assert finding.source_line == "        sock.sendto(data, addr)"


def test_positions_on_tab_indented_lines(tmp_path):
    (tmp_path / "tabs.py").write_text("import socket\n\n\nclass Server:\n\tdef __init__(self):\n"
                                     "\t\tself.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                     "\t\tself.sock.bind(('', 53))\n\n\tdef run(self):\n"
                                     "\t\twhile True:\n\t\t\tdata, addr = self.sock.recvfrom(512)\n"
                                     "\t\t\tself.sock.sendto(data, addr)\n")
    [finding] = run([tmp_path]).findings
    assert (finding.location.row, finding.location.column) == (12, 4)


PARTS_MODULE = (
    "# a header comment\r\n"
    "import socket; import os\r\n"
    "\r\n"
    "@decorate(\r\n"
    "    'x')\r\n"
    "# a comment between the decorators\r\n"
    "@other\r\n"
    "def handler(sock, data, addr):\r\n"
    "    sock.sendto(data, addr)\r\n"
    "\r\n"
    "class Server(Base):\r\n"
    "\tdef serve(self):\r\n"
    "\t\tdata, addr = self.sock.recvfrom(512)\r\n"
    "\t\thandler(self.sock, data, addr)\r\n"
    "if os.environ.get('X'):\r\n"
    "    HOST = ''\r\n"
    "else:\r\n"
    "    HOST = '127.0.0.1'\r\n"
    "\x0c\r\n"
    "sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sock.bind((HOST, 9))\r\n"
    "x = '''a string\r\nof lines'''\r\n"
    "Server().serve()"
)


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.py"))[:40] + [None], ids=lambda p: p.name if p else "crlf")
def test_a_module_parsed_in_parts_has_the_summary_of_the_whole(path):
    from udplint.python import parsing

    text = PARTS_MODULE if path is None else path.read_text()
    tree, refusal = parsing.cpython_parse(text)
    assert refusal is None
    parts = parsing.top_level_parts(text, tree, part_chars=1)  # every top-level statement its own part
    assert "".join(parts) == text
    assert len(parts) == len({node.lineno for node in tree.body}) or path is not None
    whole = extract.summarise(parsing.parse_module(text))
    by_parts = extract.summarise_parts(parsing.parse_in_parts(parts))
    assert summary.dumps(by_parts, b"t") == summary.dumps(whole, b"t")


def test_a_large_module_is_extracted_in_parts_and_reported_as_a_whole(tmp_path, monkeypatch):
    from udplint.python import parsing

    filler = "".join(f"def helper_{n}(value):\n    return value + {n}\n\n\n" for n in range(800))
    (tmp_path / "big.py").write_text(filler + BUG)
    parsed = []
    real = parsing.parse_module
    monkeypatch.setattr(parsing, "parse_module", lambda text, **kw: parsed.append(len(text)) or real(text, **kw))
    result = run([tmp_path], jobs=1)
    whole = len(filler + BUG)
    extraction = parsed[:parsed.index(whole)]  # then the report (and the fix) parse the file with the finding
    assert len(extraction) > 2 and sum(extraction) == whole and max(extraction) < whole / 2
    row = filler.count("\n") + 7
    assert [k[:4] for k in keys(result)] == [("big.py", row, 5, "UDP001")]


def test_a_screened_file_that_becomes_a_driver_is_not_answered_from_the_cache(tmp_path):
    work = tmp_path / "proj"
    work.mkdir()
    # markers only in a comment: screened (nothing to analyse) while `server` holds no socket code
    (work / "starter.py").write_text("# replies go out with sendto()\nimport server\n\nserver.serve('0.0.0.0')\n")
    (work / "server.py").write_text("def serve(host):\n    print(host)\n")
    cache = tmp_path / "cache"
    assert run([work], cache_dir=cache).findings == []
    (work / "server.py").write_text(
        "import socket\n\n\ndef serve(host):\n"
        "    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    sock.bind((host, 9999))\n"
        "    data, addr = sock.recvfrom(512)\n"
        "    sock.sendto(data, addr)\n"
    )
    cold = keys(run([work]))
    assert cold and any(name == "starter.py" for name, *_ in cold)
    assert keys(run([work], cache_dir=cache)) == cold


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_driver_whose_markers_are_parts_of_longer_names_is_analysed(tmp_path, jobs):
    """`EchoUDPServer` holds a marker, so run.py is core, yet it names nothing the screen looks
    for: it is screened while the drivers are still being found, then analysed as one."""
    echo_library(tmp_path / "dist", "EchoUDPServer")
    (tmp_path / "dist" / "run.py").write_text("from echolib.server import EchoUDPServer\n\nEchoUDPServer('::', 7).serve()\n")
    result = run([tmp_path / "dist"], jobs=jobs)
    assert [(Path(f.filename).name, f.location.row, f.code) for f in result.findings] == [("run.py", 3, "UDP001")]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_positions_in_a_file_without_a_final_newline(tmp_path, newline):
    body = BUG.replace("while True:\n    data, addr = sock.recvfrom(1024)\n    sock.sendto(data, addr)\n",
                       "def reply(data, addr):\n    sock.sendto(data, addr)\n\n\n"
                       "data, addr = sock.recvfrom(1024)\nreply(data, addr)")
    (tmp_path / "server.py").write_bytes(body.replace("\n", newline).encode())
    [finding] = run([tmp_path]).findings
    assert (finding.location.row, finding.location.column) == (6, 5)


def merging_dicts(dicts: int, keys: int) -> str:
    """A server whose host is one entry of settings merged, every way round, with many dicts
    (the shape of a library that keeps device state in nested dicts and merges them)."""
    lines = ["import socket", "", "", "def merge(into, other):", "    into.update(other)", "    other.update({**into})",
             "    return into", ""]
    for index in range(dicts):
        entries = ", ".join(f'"k{index}_{key}": {key}' for key in range(keys))
        lines.append(f"d{index} = {{{entries}}}")
    lines.append('settings = {"host": "0.0.0.0", "port": 9999}')
    names = [f"d{index}" for index in range(dicts)] + ["settings"]
    for left in names:
        for right in names[::7]:
            lines.append(f"merge({left}, {right})")
    lines += [
        "sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        'sock.bind((settings["host"], settings["port"]))',
        "while True:",
        "    data, addr = sock.recvfrom(1024)",
        "    sock.sendto(data, addr)",
    ]
    return "\n".join(lines) + "\n"


def test_dicts_merged_into_each_other_are_solved_in_few_steps(tmp_path):
    text = merging_dicts(dicts=30, keys=40)
    (tmp_path / "merging.py").write_text(text)
    result = run([tmp_path])
    reply = text.splitlines().index("    sock.sendto(data, addr)") + 1
    assert [k[:4] for k in keys(result)] == [("merging.py", reply, 5, "UDP001")]
    stats = result.analysis.stats
    assert not [budget for budget in stats.budgets if budget.startswith("data-flow steps")]
    # each (dict, spread source) pair is a rule of its own, run again only when its source
    # grows; copying every entry of every source on each run of a merging call did ~4x the stores
    # here (python-kasa's device dicts: 290 s of solving, 8 s now)
    stores = result.analysis.facts.solver.dict_stores
    assert stores < 10_000, stores


@pytest.mark.parametrize("files", [
    # an entry point's argparse default (console_scripts call main(); nothing in the tree does)
    {"cli.py": "import argparse\nfrom echolib.server import EchoServer\n\n\ndef main():\n"
               "    parser = argparse.ArgumentParser()\n    parser.add_argument('--host', default='0.0.0.0')\n"
               "    args = parser.parse_args()\n    EchoServer(args.host, 7).serve()\n"},
    # a library function's wildcard default, called by nobody in the tree
    {"cli.py": "from echolib.server import EchoServer\n\n\ndef start(host='::', port=7):\n"
               "    EchoServer(host, port).serve()\n"},
    # a module-level setting read by an uncalled function
    {"cli.py": "from echolib.server import EchoServer\n\nHOST = '0.0.0.0'\n\n\ndef main():\n    EchoServer(HOST, 7).serve()\n"},
    # a setting imported from a config module
    {"settings.py": "HOST = '0.0.0.0'\n",
     "cli.py": "from echolib.server import EchoServer\nfrom echolib import settings\n\n\ndef main():\n"
               "    EchoServer(settings.HOST, 7).serve()\n"},
])
def test_an_uncalled_driver_function_that_holds_the_wildcard_is_analysed(tmp_path, files):
    """A driver's functions wait until called, except those holding a wildcard (or naming a
    setting that does): an entry point is called by nothing in the tree."""
    echo_library(tmp_path / "dist", "EchoServer")
    for name, text in files.items():
        (tmp_path / "dist" / "echolib" / name).write_text(text)
    result = run([tmp_path / "dist"], jobs=1)
    assert [(Path(f.filename).name, f.code) for f in result.findings] == [("cli.py", "UDP001")]
    assert result.analysis.program.by_path[(tmp_path / "dist" / "echolib" / "cli.py").resolve()].driver


def test_a_drivers_functions_that_hold_no_wildcard_wait_until_called(tmp_path):
    """Hundreds of test methods that pass locals around are not solved unless something calls
    them; the one that hands over a wildcard is."""
    echo_library(tmp_path / "dist", "EchoServer")
    methods = "".join(f"    def test_{index}(self):\n        port = {index}\n        self.check(EchoServer, port)\n\n"
                      for index in range(300))
    (tmp_path / "dist" / "echolib" / "test_many.py").write_text(
        "from echolib.server import EchoServer\n\n\nclass Tests:\n" + methods +
        "    def test_wildcard(self):\n        EchoServer('', 7).serve()\n")
    result = run([tmp_path / "dist"], jobs=1)
    assert [(Path(f.filename).name, f.code) for f in result.findings] == [("test_many.py", "UDP001")]
    assert result.analysis.stats.solver_steps < 100, result.analysis.stats.solver_steps  # 306 when all run


def test_a_send_inside_twisteds_own_transport_is_not_a_second_reply():
    """With Twisted's source in the tree, `Port.write`'s sendto() is what the application's
    `transport.write()` runs: it is not paired with a server made by `reactor.listenUDP`, while
    a plain socket's server and a send anywhere else still are."""
    from types import SimpleNamespace

    from udplint.python.rules.common import inside_transport

    modules = [SimpleNamespace(name="twisted.internet.udp"), SimpleNamespace(name="twisted.internet.unix"),
               SimpleNamespace(name="myapp.server")]
    facts = SimpleNamespace(solver=SimpleNamespace(program=SimpleNamespace(modules=modules)))

    def reply_in(module):
        return SimpleNamespace(site=SimpleNamespace(module=module))

    twisted_server = SimpleNamespace(site=SimpleNamespace(kind="twisted"))
    plain_server = SimpleNamespace(site=SimpleNamespace(kind="socket"))
    assert inside_transport(facts, reply_in(0), twisted_server)
    assert inside_transport(facts, reply_in(1), twisted_server)
    assert not inside_transport(facts, reply_in(2), twisted_server)
    assert not inside_transport(facts, reply_in(0), plain_server)
