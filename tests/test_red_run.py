"""A red run reads in a screen, and every place names the rule the gateway broke (issue 29).

Against the reference gateway with one fault: each failed test's ``-v`` line, its short-summary line (with and
without ``-v``), its JUnit failure and the JSON report name the same broken rules, and no line names a rule that held
(a token echoed in a 401 is ``no-answer-carries-the-token``, not the refusal rule the test declares; an unknown
project answered with an undocumented status is ``every-answer-is-documented``). A default run prints at most 120
lines, each failure a screen with a curl command that, run as it is with ``APIOPS_TOKEN`` set, gets the same answer.
A run the plugin stops (exit 4) still leaves one errored JUnit test case and a report that says it stopped.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from contracts import rules
from contracts.redaction import PLACEHOLDER, excerpt
from tests.conftest import TOKEN, Run, RunSuite, live
from tests.test_faults import SUITE_ARGS, assert_secret, failed_rules

# (edition, fault): the token echoed in a 401, and each edition's unknown project answered otherwise.
LABELLED = [("2025-12", "token-echo-body"), ("2025-12", "unknown-project-answered-as-the-environments-page"),
            ("2026-08", "unknown-project-forbidden")]
VERBOSE_LINE = re.compile(r"^(?P<node>contracts/\S.*?) (?P<word>SUBFAILED|FAILED|ERROR) \[(?P<rules>[a-z0-9, -]+)\]",
                          re.MULTILINE)
SUMMARY_LINE = re.compile(
    r"^(?P<word>SUBFAILED|FAILED|ERROR)(?: \[(?P<rules>[a-z0-9, -]+)\])? (?P<node>contracts/\S.*)$", re.MULTILINE)
FAILED_WORD = re.compile(r"^(?:contracts/\S.*? )?(?:SUB)?FAILED\b", re.MULTILINE)


def named(text: str | None) -> set[str]:
    return {rule_id.strip() for rule_id in (text or "").split(",") if rule_id.strip()}


def run_with_fault(run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path, edition: str, fault: str,
                   *more: str) -> tuple[Run, Path, Path]:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    run = run_suite(*SUITE_ARGS, *live(gateway_factory(fault, edition=edition), "--api-proxy", "MyAPI"),
                    "--edition", edition, f"--report-json={report}", f"--junitxml={junit}", *more,
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-3000:]
    assert_secret(run, report, junit)
    return run, report, junit


def summary_lines(output: str) -> dict[str, set[str]]:
    """The short summary's lines: the test (its last node id part) -> the rules its line names."""
    summary = output.split("short test summary info", 1)[1]
    found: dict[str, set[str]] = {}
    for match in SUMMARY_LINE.finditer(summary):
        found.setdefault(match["node"].split(" - ")[0], set()).update(named(match["rules"]))
    return found


def junit_failures(junit: Path) -> dict[str, set[str]]:
    """Each failed JUnit test case (by name) -> the rules its failure message names."""
    found: dict[str, set[str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        for failure in [*case.findall("failure"), *case.findall("error")]:
            message = failure.get("message", "")
            found.setdefault(case.get("name", ""), set()).update(
                rule_id for rule_id in rules.RULES if re.search(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-])", message))
    return found


@pytest.mark.parametrize(("edition", "fault"), LABELLED, ids=[f"{edition}-{fault}" for edition, fault in LABELLED])
def test_every_line_of_a_failed_test_names_the_rules_the_gateway_broke_and_no_rule_that_held(
    edition: str, fault: str, run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    # run_suite passes -q: -v -v after it is -v.
    run, report, junit = run_with_fault(run_suite, gateway_factory, tmp_path, edition, fault, "-v", "-v", "-rf")
    broken = failed_rules(report)
    assert broken, run.output[-3000:]
    verbose = {match["node"]: named(match["rules"]) for match in VERBOSE_LINE.finditer(run.output)}
    summary = summary_lines(run.output)
    failed_lines = FAILED_WORD.findall(run.output)
    # Every failed line carries a label (the -v lines and the summary's), and the same one in both places.
    assert len(verbose) + len(summary) == len(failed_lines), run.output[-5000:]
    assert verbose and verbose == summary, f"-v: {verbose}\nsummary: {summary}"
    labelled = set().union(*verbose.values())
    assert labelled == broken, f"the lines name {labelled}, the report's failed rules are {broken}"
    # JUnit: each failed test case's message names the rules its lines name.
    cases = junit_failures(junit)
    by_name = {node.rpartition("::")[2]: rule_ids for node, rule_ids in verbose.items() if " " not in node}
    for name, rule_ids in by_name.items():
        assert cases.get(name) == rule_ids, f"{name}: JUnit names {cases.get(name)}, the lines {rule_ids}"
    assert set().union(*cases.values()) == broken
    assert "  COMPATIBLE " in run.output, "-v lists every difference of the published description"


# (edition, fault, the test whose reproduction command is run: one whose answer does not depend on what was created)
MEASURED = [("2025-12", "token-echo-body", None), ("2026-08", "unknown-project-forbidden",
                                                   "test_deleting_in_an_unknown_project_fails_naming_the_project"),
            ("2025-12", "missing-credential-wrong-error-code", None)]


@pytest.mark.parametrize(("edition", "fault", "reproduced"), MEASURED,
                         ids=[f"{edition}-{fault}" for edition, fault, _ in MEASURED])
def test_a_default_red_run_with_one_fault_reads_in_a_screen(
    edition: str, fault: str, reproduced: str | None, run_suite: RunSuite, gateway_factory: Callable[..., str],
    tmp_path: Path
) -> None:
    # run_suite passes -q; -v after it gives back pytest's default verbosity.
    run, report, _ = run_with_fault(run_suite, gateway_factory, tmp_path, edition, fault, "-v")
    lines = run.output.splitlines()
    assert len(lines) <= 120, f"{len(lines)} lines:\n{run.output}"
    for marker in ("self = ", "object at 0x", "def raise_pending", "judge.py:", "@reproduce_failure", "  COMPATIBLE ",
                   "  SILENT "):
        assert marker not in run.output, f"{marker!r} printed:\n{run.output}"
    summary = summary_lines(run.output)
    assert summary and set().union(*summary.values()) == failed_rules(report), run.output[-3000:]
    assert run.output.count("again:    curl ") >= sum(" " not in node for node in summary), run.output
    if reproduced is not None:
        failure = run.output.split(f"_ {reproduced} _", 1)[1].split("\n_", 1)[0]
        command = re.search(r"^again: +(curl .*)$", failure, re.MULTILINE)
        answer = re.search(r"^answer: +(\d{3}) \S+ (.*)$", failure, re.MULTILINE)
        assert command and answer, failure
        assert '"Authorization: Bearer $APIOPS_TOKEN"' in command[1]
        sent = subprocess.run(["bash", "-c", command[1] + " -w '\\n%{http_code}'"], capture_output=True, text=True,
                              env={"APIOPS_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"}, timeout=30, check=False)
        body, _, status = sent.stdout.rpartition("\n")
        assert status == answer[1], sent.stdout + sent.stderr
        assert excerpt(" ".join(body.replace(TOKEN, PLACEHOLDER).split()), 200) == answer[2]


def test_with_tb_long_a_failure_still_shows_its_traceback(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    run = run_suite("contracts/scenarios", "-k", "unknown_project_fails", "--tb=long",
                    *live(gateway_factory("unknown-project-forbidden", edition="2026-08")), "--edition", "2026-08",
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-3000:]
    assert "def settle(" in run.output and "RuleViolation" in run.output, run.output[-3000:]


def test_a_run_stopped_by_a_refused_token_leaves_one_errored_junit_case_and_a_report_that_says_why(
    run_suite: RunSuite, gateway_url: str, tmp_path: Path
) -> None:
    junit, report, markdown = tmp_path / "junit.xml", tmp_path / "report.json", tmp_path / "report.md"
    run = run_suite("contracts/scenarios", *live(gateway_url), f"--junitxml={junit}", f"--report-json={report}",
                    f"--report={markdown}", env={"APIOPS_TOKEN": "not-the-token-0123456789abcdef"})
    assert run.returncode == 4, run.output[-3000:]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("errors")) == ("1", "1"), junit.read_text()
    error = suite.find("testcase/error")
    assert error is not None and "the token in APIOPS_TOKEN was refused" in error.get("message", ""), junit.read_text()
    document = json.loads(report.read_text(encoding="utf-8"))
    assert "the token in APIOPS_TOKEN was refused" in document["stopped"]["reason"], document
    assert "**The run stopped**" in markdown.read_text(encoding="utf-8")
    assert "not-the-token-0123456789abcdef" not in junit.read_text() + report.read_text() + markdown.read_text()
