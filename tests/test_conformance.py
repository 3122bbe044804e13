"""Rules as a team meets them on its staging: known deviations waived, failures that name their rule, a
conformance report written whatever happens, every DELETE answer judged, and a choice of rule classes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import editions, rules
from contracts.gateway.faults import FAULTS
from tests import forked
from tests.conftest import ROOT, TOKEN, RunSuite, assert_exit, live

SUITE = "contracts/scenarios"
# The fault that answers a missing credential with another status breaks exactly these four rules.
MISSING = FAULTS["missing-credential-answered-otherwise"]


def waiving(path: Path, *entries: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"deviations": list(entries)}), encoding="utf-8")  # JSON is YAML too
    return path


def report(path: Path) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in json.loads(path.read_text(encoding="utf-8"))["rules"]}


def test_a_known_deviation_is_reported_and_does_not_fail_the_run(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    deviations = waiving(tmp_path / "deviations.yaml", *({"rule": rule_id, "reason": "staging answers 404, APIOPS-42",
                                                          "ticket": "https://tracker.example.com/APIOPS-42"}
                                                         for rule_id in MISSING.breaks))
    url = gateway_factory(MISSING.name)
    run = run_suite(SUITE, *live(url), "--deviations", str(deviations), "--report-json", str(tmp_path / "r.json"),
                    env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 0)
    assert "xfailed" in run.output and "known deviations" in run.output
    outcomes = {rule_id: rule["outcome"] for rule_id, rule in report(tmp_path / "r.json").items()}
    assert {rule_id for rule_id, outcome in outcomes.items() if outcome == "deviation"} == set(MISSING.breaks)
    assert "failed" not in outcomes.values()


def test_a_waived_rule_that_holds_fails_the_run_naming_the_stale_entry(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    deviations = waiving(tmp_path / "deviations.yaml", {"rule": rules.MUST_EXIST.id, "reason": "was a 404"})
    run = run_suite(SUITE, *live(gateway_factory()), "--deviations", str(deviations), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 1)
    assert f"deviation {rules.MUST_EXIST.id} is no longer observed: remove it from {deviations}" in run.output


def test_an_expired_deviation_waives_nothing_and_fails_the_run(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    deviations = waiving(tmp_path / "deviations.yaml", *({"rule": rule_id, "reason": "until the upgrade",
                                                          "until": "2020-01-31"} for rule_id in MISSING.breaks))
    run = run_suite(SUITE, *live(gateway_factory(MISSING.name)), "--deviations", str(deviations),
                    "--report-json", str(tmp_path / "r.json"), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 1)
    assert f"expired: {rules.MUST_EXIST.id} (until 2020-01-31)" in run.output
    assert report(tmp_path / "r.json")[rules.MUST_EXIST.id]["outcome"] == "failed"


@pytest.mark.parametrize("content, says", [
    ('{"deviations": [{"rule": "no-such-rule", "reason": "x"}]}', "unknown rule id 'no-such-rule'"),
    ("deviations: [", "not valid YAML"),
    ("- just a list\n", "expected a mapping with a `deviations:` list"),
    ('{"deviations": [{"rule": "the-credential-must-exist"}]}', "needs `reason`"),
    ('{"deviations": [{"rule": "the-credential-must-exist", "reason": "r", "until": "soon"}]}',
     "`until` must be a date"),
], ids=["unknown-id", "not-yaml", "not-a-mapping", "no-reason", "bad-date"])
def test_a_deviations_file_that_cannot_be_used_is_one_line_at_start(
    run_suite: RunSuite, tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "deviations.yaml"
    path.write_text(content, encoding="utf-8")
    run = run_suite(SUITE, "--deviations", str(path))
    assert run.returncode == 4 and "Traceback" not in run.output
    assert sum(says in line and str(path) in line for line in run.output.splitlines()) == 1, run.output
    assert " passed" not in run.output and " failed" not in run.output


@pytest.mark.parametrize("fault", ["", MISSING.name], ids=["passing", "failing"])
def test_the_report_is_written_whether_the_run_passes_or_fails(
    fault: str, run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    markdown, machine, summary = tmp_path / "r.md", tmp_path / "r.json", tmp_path / "summary.md"
    url = gateway_factory(*([fault] if fault else []))
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), "--report", str(markdown), "--report-json",
                    str(machine), env={"APIOPS_TOKEN": TOKEN, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == (1 if fault else 0), run.output[-2000:]
    document = json.loads(machine.read_text(encoding="utf-8"))
    assert set(document["run"]) == {"target", "gateway", "gateway_version", "base_url", "project", "date", "run_id",
                                    "edition", "edition_evidence"}
    assert "@" not in document["run"]["base_url"] and document["run"]["target"] == "live"
    assert [rule["id"] for rule in document["rules"]] == list(rules.RULES)
    failed = {rule["id"] for rule in document["rules"] if rule["outcome"] == "failed"}
    assert failed == (set(MISSING.breaks) if fault else set())
    for rule in document["rules"]:
        assert set(rule) == {"id", "class", "statement", "sources", "outcome", "tests", "message"}
        assert rule["outcome"] in ("passed", "failed", "skipped")
    text = markdown.read_text(encoding="utf-8")
    assert "| rule | class | outcome | detail |" in text and summary.read_text(encoding="utf-8") == text + "\n"


def test_the_report_is_written_when_the_run_is_interrupted(tmp_path: Path) -> None:
    from tests.test_live_safety import slow_listing, wait_until_it_created_something

    machine = tmp_path / "r.json"
    with slow_listing() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("APIOPS_")} | {"APIOPS_TOKEN": TOKEN}
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", SUITE, *live(server.url),
                   "--report-json", str(machine)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, preexec_fn=forked.default_signals)
        wait_until_it_created_something(server)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 2, output[-2000:]  # interrupted
    document = json.loads(machine.read_text(encoding="utf-8"))
    assert [rule["id"] for rule in document["rules"]] == list(rules.RULES)


def test_junit_failures_carry_the_rule_and_its_public_address(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    run = run_suite(SUITE, *live(gateway_factory(MISSING.name)), f"--junitxml={junit}", "--tb=line",
                    env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 1)
    failures = [element.get("message", "") for element in ElementTree.parse(junit).iter("failure")]
    assert failures and all(message.startswith("[") for message in failures), failures
    by_rule = {rule_id: [m for m in failures if m.startswith(f"[{rule_id}] ")] for rule_id in MISSING.breaks}
    assert all(by_rule.values()), by_rule
    for rule_id, messages in by_rule.items():
        # the run's edition: --edition auto finds the reference gateway's, the base edition
        url = str(rules.RULES[rule_id].url(editions.base()))
        assert all(rules.RULES[rule_id].statement in m and url in m for m in messages)
    assert any(line.split(": ", 1)[-1].startswith(f"[{rules.MUST_EXIST.id}]") for line in run.output.splitlines())


def test_every_delete_answer_of_a_scenario_is_judged_even_where_the_test_looks_elsewhere(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    """The grants scenario looks at grants, not at its DELETE's body: the judge still holds that answer to
    openapi.yaml, so a body that lacks deploymentResult only there is caught."""
    url = gateway_factory("delete-with-grants-answers-without-deployment-result")
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), "-rf", "--report-json", str(tmp_path / "r.json"),
                    env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 1)
    failed = [line for line in run.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "test_the_credentials_access_grants_are_removed_with_it" in failed[0], run.output
    assert report(tmp_path / "r.json")[rules.DOCUMENTED.id]["outcome"] == "failed"


def test_only_the_documented_rules_hold_a_gateway_to_what_the_docs_promise(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    """A gateway that breaks only a reading (project scoping) passes --rules documented."""
    url = gateway_factory("delete-ignores-project")
    documented = run_suite(SUITE, *live(url), "--rules", "documented", "--report-json", str(tmp_path / "r.json"),
                           env={"APIOPS_TOKEN": TOKEN})
    assert documented.returncode == 0, documented.output[-2000:]
    outcome = report(tmp_path / "r.json")[rules.SCOPED.id]
    assert outcome["outcome"] == "skipped" and "not selected" in outcome["message"]
    everything = run_suite(SUITE, *live(url), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(everything, 1)


def test_deviations_update_then_deviations_is_green_on_the_same_gateway_and_red_on_a_new_fault(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    """Adoption on day one (--deviations-update=FILE): today's failing rules become known deviations, dated and
    expiring; the next run with --deviations=FILE is green on the same gateway, and fails on anything new."""
    baseline = tmp_path / "deviations.yaml"
    url = gateway_factory(MISSING.name)
    first = run_suite(SUITE, *live(url), f"--deviations-update={baseline}", env={"APIOPS_TOKEN": TOKEN})
    assert first.returncode == 1 and f"--deviations={baseline}" in first.output, first.output[-3000:]
    written = baseline.read_text(encoding="utf-8")
    assert f"baseline of {time.strftime('%Y-%m-%d')} against {url}/apiops" in written and "until:" in written
    again = run_suite(SUITE, *live(url), f"--deviations={baseline}", env={"APIOPS_TOKEN": TOKEN})
    assert again.returncode == 0, again.output[-3000:]
    worse = run_suite(SUITE, *live(gateway_factory(MISSING.name, "incomplete-undeployment")),
                      f"--deviations={baseline}", env={"APIOPS_TOKEN": TOKEN})
    assert worse.returncode == 1 and rules.UNDEPLOYED.id in worse.output, worse.output[-3000:]
