"""The default run is the contract suite against the shipped recordings, with no network at all."""

from __future__ import annotations

import re

from tests.conftest import RunSuite


def test_the_default_run_passes_with_every_network_connection_refused(run_suite: RunSuite) -> None:
    run = run_suite("-p", "tests.no_network")
    assert run.returncode == 0, run.output[-3000:]
    assert re.search(r"\d+ passed", run.output) and "skipped" not in run.output, run.output[-1000:]


def test_the_network_block_is_real_a_local_target_cannot_run_under_it(run_suite: RunSuite) -> None:
    run = run_suite("-p", "tests.no_network", "--target", "local", "contracts/scenarios")
    assert run.returncode != 0
    assert "network use attempted" in run.output or "NetworkUsed" in run.output, run.output[-2000:]
