"""One verdict whatever the worker count: a CI job's exit code, its known deviations (one still happening, one no
longer observed), and its report's header are the same under ``-n 2`` as in sequence."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from contracts import rules
from contracts.gateway.faults import FAULTS
from contracts.plugin.run import Run
from tests.conftest import TOKEN, RunSuite, live

FAULT = FAULTS["missing-credential-answered-otherwise"]
STALE = rules.TOKEN_FIRST  # holds on that gateway: its entry is no longer observed


def verdict(run_suite: RunSuite, url: str, deviations: Path, report: Path, run_id: str,
            *workers: str) -> tuple[int, dict[str, Any], str]:
    run = run_suite("contracts/scenarios", *workers, *live(url, "--edition", "auto"), f"--deviations={deviations}",
                    f"--report-json={report}", env={"APIOPS_TOKEN": TOKEN, "APIOPS_RUN_ID": run_id})
    assert report.exists(), run.output[-3000:]
    return run.returncode, json.loads(report.read_text(encoding="utf-8")), run.output


def test_sequential_and_two_workers_give_the_same_exit_code_deviations_and_report_header(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    """Deviations, stale deviations, the exit code and the report's target, run id and edition evidence do not
    depend on how many xdist workers run the suite (the controller opens no target: it must still judge)."""
    deviations = tmp_path / "deviations.yaml"
    entries = [{"rule": rule_id, "reason": "staging answers otherwise, APIOPS-7"} for rule_id in FAULT.breaks]
    deviations.write_text(json.dumps({"deviations": [*entries, {"rule": STALE.id, "reason": "was wrong once"}]}),
                          encoding="utf-8")
    url = gateway_factory(FAULT.name)
    seen = {}
    for label, workers in (("seq", ()), ("xd", ("-n", "2"))):
        code, document, output = verdict(run_suite, url, deviations, tmp_path / f"{label}.json", f"verdict{label}",
                                         *workers)
        outcomes = {rule["id"]: rule["outcome"] for rule in document["rules"]}
        header = {key: value for key, value in document["run"].items() if key not in ("run_id", "date")}
        seen[label] = (code, outcomes, header)
        assert document["run"]["run_id"] == f"verdict{label}", document["run"]
        assert document["run"]["base_url"] == url + "/apiops" and document["run"]["edition_evidence"], document["run"]
        assert f"deviation {STALE.id} is no longer observed" in output, output[-3000:]
        assert "warned, not failed" not in output, output[-3000:]
    assert seen["seq"] == seen["xd"]
    code, outcomes, _ = seen["seq"]
    assert code == 1
    assert {rule_id for rule_id, outcome in outcomes.items() if outcome == "deviation"} == set(FAULT.breaks)
    assert outcomes[STALE.id] == "fixed-deviation", outcomes


def test_a_manager_unreachable_from_the_start_is_the_preflights_one_line_and_exit_4_under_two_workers_too(
    run_suite: RunSuite, tmp_path: Path
) -> None:
    """Each worker preflights on its own: one whose preflight fails may not end its session (its controller has
    handed it tests and crashed on them, INTERNALERROR, exit 3); the run ends as in sequence, with the line."""
    with socket.socket() as closed:  # a port that was free a moment ago: nothing listens on it
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    for workers in ((), ("-n", "2")):
        run = run_suite("contracts/scenarios", *workers, *live(url), env={"APIOPS_TOKEN": TOKEN})
        assert run.returncode == 4 and "INTERNALERROR" not in run.output, run.output[-3000:]
        assert run.output.rstrip().splitlines()[-1].startswith("apiops: preflight: cannot reach the gateway"), \
            run.output[-3000:]
        assert sum("cannot reach the gateway" in line for line in run.output.splitlines()) == 1, run.output[-3000:]


def test_a_worker_that_met_the_manager_down_mid_run_speaks_for_the_run_over_one_whose_late_preflight_failed() -> None:
    """A restart as the run begins: a slow worker's preflight fails while the other meets the outage in a test. The
    run had begun, so the mid-run verdict is the controller's line, whichever worker finished first."""
    preflight = "apiops: preflight: cannot reach the gateway: GET http://127.0.0.1:9/apiops/…: connection failed"
    mid_run = ("apiops: the Manager (http://127.0.0.1:9) stopped answering: …; the run stops here, during "
               "contracts/scenarios/test_delete_credential.py::test_x (the tests after it were not run)")
    for order in ((preflight, mid_run), (mid_run, preflight)):
        run = Run()
        for line in order:
            run.pytest_testnodedown(SimpleNamespace(workeroutput={"apiops": {"stopped": line}}), None)
        assert run.exit_line == mid_run and run.stopped_by_a_worker, order
    alone = Run()
    alone.pytest_testnodedown(SimpleNamespace(workeroutput={"apiops": {"stopped": preflight}}), None)
    assert alone.exit_line == preflight  # a Manager unreachable from the start: the preflight's line is the verdict
