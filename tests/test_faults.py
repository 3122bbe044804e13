"""The suite catches every fault of the reference gateway, live and on replay; a clean gateway passes.

For each named fault (contracts/gateway/faults.py) the contract suite runs against a gateway with
that one fault, over real HTTP (``--target live``), recording as it goes; then the recording is
replayed (``--target stub``). Both runs must fail in the same tests: every scenario test listed in
:data:`tests.fault_table.CATCHERS` (the table the README shows), and no test it does not list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from contracts.gateway.faults import FAULTS
from contracts.scenarios import test_delete_credential as scenarios
from tests.conftest import TOKEN, RunSuite, live
from tests.fault_table import CATCHERS, SUITE_ARGS

SCENARIOS = {name for name in dir(scenarios) if name.startswith("test_")}
FAILED = re.compile(r"^(?:SUB)?FAILED \S+?::(?P<test>.+?)(?: - .*)?$", re.MULTILINE)


def failed_tests(output: str) -> set[str]:
    return {match["test"] for match in FAILED.finditer(output)}


def run_live_and_replay(run_suite: RunSuite, url: str, recordings: Path) -> tuple[set[str], set[str]]:
    recorded = run_suite(*SUITE_ARGS, "-rf", *live(url, "--api-proxy", "MyAPI", "--record", "--recordings",
                                                   str(recordings)), env={"APIOPS_TOKEN": TOKEN})
    replayed = run_suite(*SUITE_ARGS, "-rf", "--target", "stub", "--recordings", str(recordings))
    for run in (recorded, replayed):
        assert run.returncode in (0, 1), run.output[-2000:]
        assert "error" not in run.output.splitlines()[-1], run.output[-2000:]
        assert TOKEN not in run.output, "the token leaked into the suite's output"
    for path in recordings.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8"), f"the token leaked into {path}"
    return failed_tests(recorded.output), failed_tests(replayed.output)


def test_every_fault_has_a_row_in_the_catchers_table() -> None:
    assert set(CATCHERS) == set(FAULTS)


def test_the_clean_reference_gateway_passes_live_and_on_replay(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    live_failures, replay_failures = run_live_and_replay(run_suite, gateway_factory(), tmp_path)
    assert live_failures == set() and replay_failures == set()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_suite_catches_the_fault_live_and_on_replay(
    fault: str, run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    live_failures, replay_failures = run_live_and_replay(run_suite, gateway_factory(fault), tmp_path)
    assert live_failures, f"{fault} went unnoticed: {FAULTS[fault].breaks}"
    # Scenario tests are deterministic: each one the table names must catch it. Generated property
    # tests may or may not hit a fault in a given run; the table names them where they have.
    required = {test for test in CATCHERS[fault] if test.split("[")[0] in SCENARIOS}
    assert required <= live_failures, f"no longer caught by {sorted(required - live_failures)}"
    assert live_failures <= set(CATCHERS[fault]), f"newly caught by {sorted(live_failures - set(CATCHERS[fault]))}"
    assert replay_failures == live_failures, "the replay of the recording judged differently from the live run"
