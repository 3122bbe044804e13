"""The self-tests' fork server (tests/forked.py) runs the suite as a fresh interpreter would, only sooner."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests import forked
from tests.conftest import ROOT

# Offline and on the fixed clock: a run's output then depends on nothing but the process that runs it.
ARGS = ["-p", "no:cacheprovider", "-q", "-p", "no:randomly", "-rA", "--edition", "2026-08"]


def same_but_durations(output: str) -> str:
    return re.sub(r"\d+\.\d+s\b", "<duration>", output)


def test_a_forked_run_gives_the_exit_code_and_output_of_a_fresh_interpreter() -> None:
    env = {**forked.base_environment(), "SOURCE_DATE_EPOCH": "1767225600"}
    fresh = subprocess.run([sys.executable, "-m", "pytest", *ARGS], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300, check=False)
    code, output = forked.run(ARGS, env, ROOT, timeout=300)
    assert (code, same_but_durations(output)) == (fresh.returncode, same_but_durations(fresh.stdout + fresh.stderr))
    # pytest warns when a plugin was imported before its assertion rewriter: the output above would carry it
    assert "cannot be rewritten" not in output and code == 0, output[-2000:]


def test_a_fork_starts_with_the_suite_imported_and_nothing_configured() -> None:
    """The saving is real (the server imported what a run needs), and no plugin has configured anything yet."""
    loaded = forked.modules_in_a_fork()
    assert set(forked.PRELOAD) <= loaded and {"schemathesis", "hypothesis", "contracts.plugin"} <= loaded
    # no test module and no conftest of the suite: hypothesis reads its profile when a test builds its settings
    assert not {name for name in loaded if name.startswith(("contracts.scenarios", "contracts.properties"))}


@pytest.mark.parametrize(("variable", "forks"), [("APIOPS_TOKEN", True), ("SOURCE_DATE_EPOCH", True),
                                                 ("TMPDIR", True), ("CI", False), ("HYPOTHESIS_PROFILE", False),
                                                 ("PYTHONHASHSEED", False)])
def test_only_a_run_whose_environment_is_read_at_run_time_is_forked(variable: str, forks: bool) -> None:
    """hypothesis chooses its profile from CI when it is imported: a run with another CI needs a fresh interpreter."""
    env = {**forked.base_environment(), variable: "something-else"}
    assert forked.forkable(env) is forks


def test_a_variable_the_worker_set_after_the_server_started_sends_the_run_to_a_fresh_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server's modules were imported in the environment it started in, not in the worker's of today."""
    assert forked.forkable(forked.base_environment())  # the server is started, in the worker's environment
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "something-else")
    assert not forked.forkable(forked.base_environment())


def test_a_forked_run_that_outlives_its_timeout_is_killed() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        forked.run(["-p", "no:cacheprovider", "--target", "local"], forked.base_environment(), ROOT, timeout=0.5)
