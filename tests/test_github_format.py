"""`--format github`: workflow commands that GitHub turns into inline annotations on a PR."""
import subprocess
import sys
from pathlib import Path

from udp_snippets import BUGGY
from udplint.findings import Finding, Location
from udplint.reporting import github


def test_cli_prints_one_error_command_per_finding(tmp_path: Path):
    (tmp_path / "srv.py").write_text(BUGGY)
    result = subprocess.run([sys.executable, "-m", "udplint", "check", "--format", "github", "srv.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith("::error file=srv.py,line=7,col=5,endLine=7,endColumn=28,title=UDP001::reply with sendto()")
    assert "%0Afix" in line  # the fix (or the rule's fix hint) is a second line of the annotation


def test_escaping_of_data_and_properties():
    finding = Finding("UDP001", "dir,with:odd%name.py", Location(2, 3), Location(2, 9),
                      "100% wrong:\r\nsecond line, really")
    line = github.render([finding]).splitlines()[0]
    head, message = line[len("::error "):].split("::", 1)
    assert head.startswith("file=dir%2Cwith%3Aodd%25name.py,line=2,col=3,endLine=2,endColumn=9,title=UDP001")
    assert message.startswith("100%25 wrong:%0D%0Asecond line, really%0Afix: ")
    assert "\n" not in line and "\r" not in line
