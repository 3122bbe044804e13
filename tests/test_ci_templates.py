"""The CI templates fit their platforms: valid by the platforms' own schemas (check-jsonschema's vendored
copies, offline), every branch runs the offline job, and only where the protected token exists does the
staging job run, with an unambiguous run id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.settings import check_run_id
from tests.conftest import ROOT

GITHUB = ROOT / ".github" / "workflows" / "contract-staging.yml"
GITLAB = ROOT / ".gitlab-ci.yml"


@pytest.mark.parametrize("path, schema", [(GITHUB, "vendor.github-workflows"), (GITLAB, "vendor.gitlab-ci")],
                         ids=["github", "gitlab"])
def test_the_template_is_valid_by_its_platforms_schema(path: Path, schema: str) -> None:
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def test_github_runs_the_offline_job_on_every_branch_and_staging_only_with_its_token() -> None:
    workflow = load(GITHUB)
    triggers = next(value for key, value in workflow.items() if key in (True, "on"))  # PyYAML reads `on` as True
    assert {"push", "pull_request"} <= set(triggers) and triggers["push"] is None  # every branch
    offline, staging = workflow["jobs"]["offline"], workflow["jobs"]["staging"]
    assert "if" not in offline and "environment" not in offline
    assert "secrets." not in yaml.safe_dump(offline)
    assert "pull_request" in staging["if"] and "vars.APIOPS_BASE_URL" in staging["if"]
    assert staging["environment"] == "staging"
    steps = staging["steps"]
    assert steps[0]["id"] == "token"  # the first thing it does: is the token there?
    later = [step for step in steps[1:]]
    assert all("steps.token.outputs.present == 'true'" in str(step.get("if", "")) for step in later), later
    using_the_token = [step for step in steps if "secrets.APIOPS_TOKEN" in str(step.get("env", {}))]
    assert [step.get("id") for step in using_the_token][0] == "token" and len(using_the_token) == 2


def test_gitlab_runs_the_offline_job_everywhere_and_staging_only_where_the_protected_token_exists() -> None:
    pipeline = load(GITLAB)
    offline, staging = pipeline["contract-offline"], pipeline["contract-staging"]
    assert "rules" not in offline and "only" not in offline and "except" not in offline
    rules = staging["rules"]
    assert rules[0]["when"] == "never" and "$APIOPS_TOKEN == null" in rules[0]["if"]
    assert rules[1] == {"if": '$CI_COMMIT_REF_PROTECTED != "true"', "when": "never"}
    sources = " ".join(rule["if"] for rule in rules[2:])
    assert all(source in sources for source in ('"schedule"', '"push"', '"web"'))


def test_the_run_id_is_unambiguous_and_valid() -> None:
    """Two runs never share a run id: GitHub's run and attempt numbers are kept apart by "r" (a plain
    concatenation made run 12 attempt 34 and run 123 attempt 4 the same), GitLab's job id is one number."""
    github = load(GITHUB)["jobs"]["staging"]["env"]["APIOPS_RUN_ID"]
    rendered = {(run, attempt): github.replace("${{ github.run_id }}", run).replace("${{ github.run_attempt }}",
                                                                                   attempt)
                for run, attempt in (("12", "34"), ("123", "4"), ("98765432101", "1"))}
    assert len(set(rendered.values())) == len(rendered) and all(map(check_run_id, rendered.values()))
    gitlab = load(GITLAB)["contract-staging"]["variables"]["APIOPS_RUN_ID"]
    assert gitlab == "gl$CI_JOB_ID" and check_run_id(gitlab.replace("$CI_JOB_ID", "7543219876"))
