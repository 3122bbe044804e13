"""``--baseline DIR``: a live or local run reports its drift against a recording, and fails on breaking drift."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import TOKEN, RunSuite, assert_exit, live

SUITE = "contracts/scenarios"


def test_a_run_of_the_same_gateway_reports_no_drift_and_leaves_no_recording_behind(
    run_suite: RunSuite, tmp_path: Path
) -> None:
    # Both runs on a fixed clock (contracts/clock.py): their answers' recorded times are 0, so a loaded machine's
    # 50 ms -> 250 ms is not drift of the gateway (seen in CI under three workers); what the answers say still is.
    fixed = {"SOURCE_DATE_EPOCH": "1767225600"}
    baseline = tmp_path / "baseline"
    assert run_suite(SUITE, "--target", "local", "--record", "--recordings", str(baseline), env=fixed).returncode == 0
    scratch = tmp_path / "tmp"  # where the run records itself for the comparison
    scratch.mkdir()
    run = run_suite(SUITE, "--target", "local", "--baseline", str(baseline), env={"TMPDIR": str(scratch), **fixed})
    assert_exit(run, 0)
    assert "no drift" in run.output, run.output[-2000:]
    assert list(scratch.iterdir()) == [], "the run's own recording was left behind"


def test_a_changed_error_code_is_reported_as_breaking_drift(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline"
    assert run_suite(SUITE, "--target", "local", "--record", "--recordings", str(baseline)).returncode == 0
    url = gateway_factory("missing-credential-wrong-error-code")
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), "--baseline", str(baseline),
                    env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 1)
    assert "drift against the baseline" in run.output and "breaking" in run.output.lower()
    assert "not_found" in run.output


def test_a_missing_baseline_ends_the_run_with_one_line(run_suite: RunSuite, tmp_path: Path) -> None:
    run = run_suite(SUITE, "--target", "local", "--baseline", str(tmp_path / "nowhere"))
    assert run.returncode == 4 and "Traceback" not in run.output
    assert sum("nowhere" in line for line in run.output.splitlines()) == 1, run.output
