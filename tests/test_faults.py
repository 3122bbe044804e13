"""The suite catches every fault of the reference gateway, live and on replay, in every edition; a clean
gateway of every edition passes.

For each edition (contracts/editions) and each named fault that means something in it
(contracts/gateway/faults/), the contract suite runs against a gateway of that edition with
that one fault, over real HTTP (``--target live``), recording as it goes; then the recording is
replayed (``--target stub``). Each run writes its conformance report (``--report-json``): the rules
that failed must be exactly the rules the fault says it breaks (the README's fault table), live and
on replay, and both runs must fail in the same tests. A fault aimed at the suite itself is caught
the way it names: a preflight that stops the run in one line, a run that lists what it left, or a
published description that breaks openapi.yaml (reported; failing the run under ``--published-spec
strict``). No run shows the token, in its output or any file it writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import editions
from contracts.gateway.faults import FAULTS
from tests.conftest import TOKEN, Run, RunSuite, live

EDITIONS = editions.ids()
# Every fault in every edition it has a counterpart in (Fault.applies asks the edition's data).
# The cases whose live run waits on the gateway for 20-40 s (measured): every delete or body held back on purpose.
LONG = {name for name, fault in FAULTS.items() if fault.delay} | {"body-after-a-delay", "body-drips",
                                                                  "delete-without-lock"}
CASES = [pytest.param(edition, name, id=f"{edition}-{name}", marks=[pytest.mark.long] if name in LONG else [])
         for edition in EDITIONS for name, fault in FAULTS.items() if fault.applies(editions.get(edition))]

# How the self-tests run the contract suite: tight time limits, so that slowness shows quickly, and a claim that never
# holds (a credential still listed after its DELETE) given up on after a second of re-reads, not the default five
# (--settle; reads that settle have their own self-tests, tests/test_staging_lives.py); the profile a live run uses
# by default (staging), so that the matrix proves what a team's default job catches.
# The CI plugins a team may have installed beside the suite are left out of these 230 runs (0.4 s of imports each):
# tests/test_cli.py proves the suite lives beside them.
SUITE_ARGS = ("contracts/scenarios", "contracts/properties", "--max-response-time", "1", "--request-timeout", "3",
              "--settle", "1",
              "--hypothesis-profile", "staging", "-p", "no:html", "-p", "no:metadata", "-p", "no:cov", "-p",
              "no:anyio", "-p", "no:rerunfailures", "-p", "no:timeout")
# A failed line: FAILED [the rules it broke] <node id>
FAILED = re.compile(r"^(?:SUB)?FAILED (?:\[[^\]]*\] )?\S+?::(?P<test>.+?)(?: - .*)?$", re.MULTILINE)


def failed_tests(output: str) -> set[str]:
    return {match["test"] for match in FAILED.finditer(output)}


def failed_rules(report: Path) -> set[str]:
    document: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return {rule["id"] for rule in document["rules"] if rule["outcome"] == "failed"}


def assert_secret(run: Run, *written: Path) -> None:
    assert TOKEN not in run.output, "the token leaked into the suite's output"
    for root in written:
        for path in ([root] if root.is_file() else root.rglob("*")):
            if path.is_file():
                assert TOKEN not in path.read_text(encoding="utf-8"), f"the token leaked into {path}"


def run_live(run_suite: RunSuite, url: str, tmp_path: Path, *more: str, edition: str = "auto") -> tuple[Run, Path]:
    report, recordings = tmp_path / "live.json", tmp_path / "recording"
    run = run_suite(*SUITE_ARGS, "-rf", *live(url, "--api-proxy", "MyAPI", "--record", "--recordings",
                                              str(recordings)), f"--report-json={report}", "--edition", edition, *more,
                    env={"APIOPS_TOKEN": TOKEN})
    assert_secret(run, recordings, *([report] if report.exists() else []))
    return run, report


def run_replay(run_suite: RunSuite, tmp_path: Path) -> tuple[Run, Path]:
    report = tmp_path / "replay.json"
    run = run_suite(*SUITE_ARGS, "-rf", "--target", "stub", "--recordings", str(tmp_path / "recording"),
                    f"--report-json={report}")
    assert_secret(run, report)
    return run, report


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_clean_reference_gateway_passes_live_and_on_replay(
    edition: str, run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    """A gateway that answers as its edition says is green, recognised by --edition auto, live and on replay."""
    recorded, live_report = run_live(run_suite, gateway_factory(edition=edition), tmp_path)
    assert f"apiops edition: {editions.get(edition)}, chosen on:" in recorded.output, recorded.output[-3000:]
    assert recorded.returncode == 0, recorded.output[-3000:]
    replayed, replay_report = run_replay(run_suite, tmp_path)
    assert replayed.returncode == 0, replayed.output[-3000:]
    assert failed_rules(live_report) == failed_rules(replay_report) == set()


@pytest.mark.parametrize(("edition", "fault"), CASES)
def test_the_suite_catches_the_fault_live_and_on_replay(
    edition: str, fault: str, run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    breaks = FAULTS[fault]
    recorded, live_report = run_live(run_suite, gateway_factory(fault, edition=edition), tmp_path, edition=edition)
    if breaks.caught_as == "preflight":
        assert recorded.returncode == 4, recorded.output[-3000:]
        lines = [line for line in recorded.output.splitlines() if "preflight" in line]
        assert len(lines) == 1 and "Traceback" not in recorded.output, recorded.output[-3000:]
        return
    if breaks.caught_as == "published-spec":  # information by default, a failure when asked
        assert recorded.returncode == 0, recorded.output[-3000:]
        assert json.loads(live_report.read_text(encoding="utf-8"))["published_spec"]["has_breaking"]
        assert re.search(r"^  BREAKING ", recorded.output, re.MULTILINE), recorded.output[-3000:]
        strict, _ = run_live(run_suite, gateway_factory(fault, edition=edition), tmp_path / "strict",
                             "--published-spec", "strict", edition=edition)
        assert strict.returncode == 1 and "breaks the contract document" in strict.output, strict.output[-3000:]
        return
    assert recorded.returncode == 1, recorded.output[-3000:]
    assert "INTERNALERROR" not in recorded.output
    assert failed_rules(live_report) == set(breaks.breaks), f"{fault}: {breaks.does}\n{recorded.output[-3000:]}"
    if breaks.caught_as == "leftovers":
        assert "credentials left behind" in recorded.output, recorded.output[-3000:]
        assert "python -m contracts.cleanup --run-id" in recorded.output
    replayed, replay_report = run_replay(run_suite, tmp_path)
    assert replayed.returncode == 1, replayed.output[-3000:]
    assert failed_rules(replay_report) == failed_rules(live_report), replayed.output[-3000:]
    assert failed_tests(replayed.output) == failed_tests(recorded.output), "the replay judged otherwise"
