"""The CI templates run as copied: valid by the platforms' own schemas (check-jsonschema's vendored copies,
offline), every branch runs the offline job, and the staging job runs, with an unambiguous run id, wherever its
settings are where the template's header says (a personal token or a service account), as each platform decides
(GitHub evaluates a job-level `if` before the job's environment applies); it keeps JUnit, the HTML report and the
recording whatever its exit code."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.settings import OPTIONS, check_run_id
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


def test_github_runs_the_offline_job_on_every_branch_and_staging_never_for_a_pull_request() -> None:
    workflow = load(GITHUB)
    triggers = next(value for key, value in workflow.items() if key in (True, "on"))  # PyYAML reads `on` as True
    assert {"push", "pull_request"} <= set(triggers) and triggers["push"] is None  # every branch
    offline, staging = workflow["jobs"]["offline"], workflow["jobs"]["staging"]
    assert "if" not in offline and "environment" not in offline
    assert "secrets." not in yaml.safe_dump(offline)
    assert "github.event_name != 'pull_request'" in staging["if"]
    assert staging["environment"] == "staging"
    steps = staging["steps"]
    assert steps[0]["id"] == "staging"  # the first thing it does: is the environment configured?
    later = [step for step in steps[1:]]
    assert all("steps.staging.outputs.configured == 'true'" in str(step.get("if", "")) for step in later), later
    # The secrets reach two steps only: the check, and the suite.
    using_secrets = [step for step in steps if "secrets." in str(step.get("env", {}))]
    assert [step.get("id") for step in using_secrets][0] == "staging" and len(using_secrets) == 2


def test_gitlab_runs_the_offline_job_everywhere_and_staging_only_where_the_protected_token_exists() -> None:
    pipeline = load(GITLAB)
    offline, staging = pipeline["contract-offline"], pipeline["contract-staging"]
    assert "rules" not in offline and "only" not in offline and "except" not in offline
    rules = staging["rules"]
    never = [rule for rule in rules if rule.get("when") == "never"]
    assert {"if": '$CI_COMMIT_REF_PROTECTED != "true"', "when": "never"} in never
    sources = " ".join(rule["if"] for rule in rules if rule not in never)
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


# -- what each platform sees when: a job-level `if` on GitHub is evaluated before the job's environment applies ---
# A small evaluator of the expressions both templates use (comparisons, &&, ||, !, parentheses, literals, contexts),
# so that the self-test decides as the platform does instead of matching strings.
EXPRESSION = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*'|\"[^\"]*\")|(?P<op>==|!=|&&|\|\||!|\(|\))"
                        r"|(?P<name>\$?[A-Za-z_][\w.\-]*))")


class Expression:
    """One expression of GitHub Actions (``github.ref == 'refs/heads/main'``) or of GitLab's rules
    (``$APIOPS_TOKEN == null``), evaluated against ``context`` (a dotted name or a variable -> its value; a name
    not in it is undefined). GitHub compares loosely (undefined equals ''), GitLab does not."""

    def __init__(self, text: str, context: dict[str, Any], *, gitlab: bool = False) -> None:
        self.tokens, self.context, self.gitlab, position = [], context, gitlab, 0
        text = text.strip()
        while position < len(text):
            match = EXPRESSION.match(text, position)
            assert match and match.end() > position, f"cannot read {text[position:]!r}"
            self.tokens.append((match.lastgroup or "", match[match.lastgroup or 0]))
            position = match.end()
        self.at = 0

    def value(self) -> Any:
        found = self.either()
        assert self.at == len(self.tokens), f"unread: {self.tokens[self.at:]}"
        return found

    def peek(self) -> str:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else ""

    def take(self) -> tuple[str, str]:
        self.at += 1
        return self.tokens[self.at - 1]

    def either(self) -> Any:
        left = self.both()
        while self.peek() == "||":
            self.take()
            right = self.both()
            left = left if truthy(left) else right
        return left

    def both(self) -> Any:
        left = self.comparison()
        while self.peek() == "&&":
            self.take()
            right = self.comparison()
            left = right if truthy(left) else left
        return left

    def comparison(self) -> Any:
        left = self.unary()
        if self.peek() in ("==", "!="):
            operator = self.take()[1]
            right = self.unary()
            if not self.gitlab:  # GitHub: an undefined value is '' to a comparison, and strings ignore case
                left, right = (str(side or "").lower() for side in (left, right))
            return (left == right) == (operator == "==")
        return left

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        if self.peek() == "(":
            self.take()
            inner = self.either()
            assert self.take()[1] == ")"
            return inner
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[text]
        return self.context.get(text.removeprefix("$"))


def truthy(value: Any) -> bool:
    return value not in (None, "", False)


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    return Expression(expression.removeprefix("${{").removesuffix("}}"), context).value()


def rendered(value: Any, context: dict[str, Any]) -> str:
    """A value of an `env:` mapping as the runner sees it: each ``${{ … }}`` replaced by what it evaluates to."""
    def one(match: re.Match[str]) -> str:
        found = evaluate(match[1], context)
        return "" if found is None else str(found).lower() if isinstance(found, bool) else str(found)
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))


def header(path: Path) -> str:
    """The template's leading comment: what it tells a team to set, and where."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(itertools.takewhile(lambda line: line.startswith("#"), lines))


# What a team sets in GitHub's `staging` environment when it does what the header says: variables and secrets of
# the environment, none of the repository. Either a personal token or a service account.
STAGING_VARIABLES = {"APIOPS_BASE_URL": "https://apinizer-staging.example.com", "APIOPS_PROJECT": "ContractTests",
                     "APIOPS_API_PROXY": "SomeProxy"}
PERSONAL = {"APIOPS_TOKEN": "a-personal-token"}
SERVICE_ACCOUNT = {"APIOPS_CLIENT_ID": "contract-ci", "APIOPS_CLIENT_SECRET": "a-client-secret"}
EVENTS = {"push to main": {"github.event_name": "push", "github.ref": "refs/heads/main"},
          "nightly": {"github.event_name": "schedule", "github.ref": "refs/heads/main"},
          "by hand": {"github.event_name": "workflow_dispatch", "github.ref": "refs/heads/other"}}


def environment_section() -> str:
    text = header(GITHUB)
    start = text.index("Environments > staging")
    return text[start:text.index("\n#\n", start)]


def test_no_job_with_an_environment_decides_in_its_if_on_a_variable_or_secret() -> None:
    """GitHub evaluates a job-level `if` before the job's environment applies: there, a variable or secret that
    lives in the environment reads as empty, and the job is skipped every time, silently."""
    workflow = load(GITHUB)
    wrong = {name: job["if"] for name, job in workflow["jobs"].items()
             if "environment" in job and re.search(r"\b(vars|secrets)\.", str(job.get("if", "")))}
    assert not wrong, f"a job-level `if` reads what only its environment sets: {wrong}"


@pytest.mark.parametrize("account", [PERSONAL, SERVICE_ACCOUNT], ids=["personal-token", "service-account"])
@pytest.mark.parametrize("event", list(EVENTS))
def test_githubs_staging_job_runs_when_its_variables_are_set_as_its_header_says(
        event: str, account: dict[str, str], tmp_path: Path) -> None:
    section = environment_section()
    for name in [*STAGING_VARIABLES, *account]:
        assert name in section, f"the header does not say to set {name} in the staging environment"
    staging = load(GITHUB)["jobs"]["staging"]
    # The job's `if`: only the event is known, no variable or secret of the environment.
    assert truthy(evaluate(staging["if"], EVENTS[event])), f"on {event}, the job is skipped: {staging['if']}"
    # Its steps: the environment applies.
    context = {**EVENTS[event], **{f"vars.{k}": v for k, v in STAGING_VARIABLES.items()},
               **{f"secrets.{k}": v for k, v in account.items()}}
    outputs, notices = run_the_first_step(staging, context, tmp_path)
    assert outputs == {"configured": "true"} and not notices, (outputs, notices)
    live = next(step for step in staging["steps"] if "--target live" in str(step.get("run", "")))
    environment = {**{k: rendered(v, context) for k, v in staging["env"].items()},
                   **{k: rendered(v, context) for k, v in live.get("env", {}).items()}}
    assert {name: environment.get(name) for name in account} == account, "the suite's step does not get the account"
    assert {name: environment.get(name) for name in STAGING_VARIABLES} == STAGING_VARIABLES


# What is left out -> what the team set: no URL; no credential at all; half a service account.
LEFT_OUT = {"APIOPS_BASE_URL": {**STAGING_VARIABLES, "APIOPS_BASE_URL": "", **PERSONAL},
            "APIOPS_TOKEN": STAGING_VARIABLES,
            "APIOPS_CLIENT_SECRET": {**STAGING_VARIABLES, "APIOPS_CLIENT_ID": "contract-ci"}}


@pytest.mark.parametrize("missing", list(LEFT_OUT))
def test_githubs_staging_job_without_its_settings_skips_with_a_visible_notice_naming_what_is_missing(
        missing: str, tmp_path: Path) -> None:
    configured = LEFT_OUT[missing]
    context = {**EVENTS["push to main"], **{f"vars.{k}": v for k, v in configured.items() if k in STAGING_VARIABLES},
               **{f"secrets.{k}": v for k, v in configured.items() if k not in STAGING_VARIABLES}}
    staging = load(GITHUB)["jobs"]["staging"]
    outputs, notices = run_the_first_step(staging, context, tmp_path)
    assert outputs == {"configured": "false"}, outputs
    assert len(notices) == 1 and missing in notices[0], notices
    gate = f"steps.{staging['steps'][0]['id']}.outputs.configured == 'true'"
    assert all(gate in str(step.get("if", "")) for step in staging["steps"][1:]), "a later step runs anyway"


def run_the_first_step(job: dict[str, Any], context: dict[str, str], tmp_path: Path) -> tuple[dict[str, str],
                                                                                              list[str]]:
    """The staging job's first step, run by bash as the runner runs it: its outputs, and the notices it printed."""
    step = job["steps"][0]
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    environment = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output),
                   **{k: rendered(v, context) for k, v in job.get("env", {}).items()},
                   **{k: rendered(v, context) for k, v in step.get("env", {}).items()}}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=environment, capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    return outputs, [line for line in done.stdout.splitlines() if line.startswith("::notice::")]


def gitlab_runs(job: dict[str, Any], variables: dict[str, str]) -> bool:
    """Whether GitLab adds the job to a pipeline: its first rule that matches decides; none matching, it does not."""
    for rule in job["rules"]:
        if "if" not in rule or truthy(Expression(rule["if"], variables, gitlab=True).value()):
            return rule.get("when", "on_success") != "never"
    return False


PROTECTED_PUSH = {"CI_COMMIT_REF_PROTECTED": "true", "CI_PIPELINE_SOURCE": "push"}


@pytest.mark.parametrize("account", [PERSONAL, SERVICE_ACCOUNT], ids=["personal-token", "service-account"])
def test_gitlabs_staging_job_runs_with_a_personal_token_or_a_service_account(account: dict[str, str]) -> None:
    staging = load(GITLAB)["contract-staging"]
    for name in [*STAGING_VARIABLES, *account]:
        assert name in header(GITLAB), f"the header does not say to set {name}"
    for source in ("push", "schedule", "web"):
        pipeline = {**PROTECTED_PUSH, "CI_PIPELINE_SOURCE": source}
        assert gitlab_runs(staging, {**pipeline, **STAGING_VARIABLES, **account}), source
    # GitLab hands every CI/CD variable to the job's script: nothing there may filter on the token alone.
    assert "APIOPS_TOKEN" not in "\n".join(staging["script"])


@pytest.mark.parametrize("missing", ["APIOPS_BASE_URL", "APIOPS_TOKEN", "APIOPS_CLIENT_SECRET"])
def test_gitlabs_staging_job_does_not_start_without_its_url_or_a_credential(missing: str) -> None:
    staging = load(GITLAB)["contract-staging"]
    variables = {**PROTECTED_PUSH, **STAGING_VARIABLES,
                 **(SERVICE_ACCOUNT if missing == "APIOPS_CLIENT_SECRET" else PERSONAL)}
    variables.pop(missing)
    assert not gitlab_runs(staging, variables)
    assert not gitlab_runs(staging, {**variables, missing: ""})  # an empty variable is no variable
    assert not gitlab_runs(staging, {**STAGING_VARIABLES, **PERSONAL, "CI_PIPELINE_SOURCE": "push"})  # unprotected


# What a red run leaves for on-call: the JUnit file (the test tab), the HTML report, the recording.
KEPT = ("reports/junit.xml", "reports/contract.html", "reports/recording")


def kept_by(paths: list[str]) -> set[str]:
    return {wanted for wanted in KEPT for path in paths if wanted.startswith(path.rstrip("/"))}


def test_githubs_staging_job_writes_and_keeps_junit_the_html_report_and_the_recording_whatever_its_exit_code() -> None:
    staging = load(GITHUB)["jobs"]["staging"]
    command = next(step["run"] for step in staging["steps"] if "--target live" in str(step.get("run", "")))
    for argument in ("--junitxml=reports/junit.xml", "--report reports/contract.html", "--record",
                     "--recordings reports/recording", "--report reports/conformance.md",
                     "--report-json reports/conformance.json"):
        assert argument in command, argument
    uploads = [step for step in staging["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact")]
    always = [step for step in uploads if "always()" in str(step.get("if", ""))]
    assert always and kept_by([str(step["with"]["path"]) for step in always]) == set(KEPT), always


def test_gitlabs_staging_job_writes_and_keeps_junit_the_html_report_and_the_recording_whatever_its_exit_code() -> None:
    staging = load(GITLAB)["contract-staging"]
    script = "\n".join(staging["script"])
    for argument in ("--junitxml=reports/junit.xml", "--report reports/contract.html", "--record",
                     "--recordings reports/recording", "--report reports/conformance.md",
                     "--report-json reports/conformance.json"):
        assert argument in script, argument
    artifacts = staging["artifacts"]
    assert artifacts["when"] == "always" and artifacts["reports"]["junit"] == "reports/junit.xml"
    assert kept_by(artifacts["paths"]) == set(KEPT)


def test_githubs_adopt_run_writes_todays_failing_rules_into_the_kept_reports() -> None:
    """A stock Manager's first day (docs/ci.md): run by hand with "adopt", the suite writes the deviations file
    (--deviations-update, through its variable) where the artifact keeps it; any other run writes none."""
    workflow = load(GITHUB)
    triggers = next(value for key, value in workflow.items() if key in (True, "on"))
    assert triggers["workflow_dispatch"]["inputs"]["adopt"]["type"] == "boolean"
    option = next(option for option in OPTIONS if option.flag == "deviations-update")
    staging = workflow["jobs"]["staging"]
    adopted = rendered(staging["env"][option.env], {"inputs.adopt": True})
    assert adopted == "reports/deviations.yaml"  # under reports/, which the always-kept artifact holds
    assert rendered(staging["env"][option.env], {}) == ""
