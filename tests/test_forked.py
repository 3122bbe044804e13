"""The self-tests' fork server (tests/forked.py) runs the suite as a fresh interpreter would, only sooner."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

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


# What a fresh interpreter started from a terminal has: a self-test that interrupts a run needs it in the child.
PROBE = """import signal


def test_the_run_has_the_default_sigint_and_sigterm():
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
"""


def test_a_child_started_where_sigint_is_ignored_gets_the_default_dispositions() -> None:
    """A background job's shell ignores SIGINT (``bash .ci/run &``), and an ignored signal survives exec: a child
    started with ``preexec_fn=forked.default_signals`` has Python's own handler again."""
    probe = ("import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
             "signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)")
    ignored = {how: signal.signal(how, signal.SIG_IGN) for how in (signal.SIGINT, signal.SIGTERM)}
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                              check=False, preexec_fn=forked.default_signals)
    finally:
        for how, handler in ignored.items():
            signal.signal(how, handler)
    assert done.stdout.split() == ["True", "True"], done.stdout + done.stderr


def test_a_forked_run_has_the_default_dispositions_whatever_the_worker_had(tmp_path: Path) -> None:
    """The fork server gives its forks the dispositions of the worker that started it: under a background job,
    SIGINT ignored (run this file from ``bash -c 'trap "" INT; ...'`` to see it)."""
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    code, output = forked.run(["-p", "no:cacheprovider", "-q", "-p", "no:randomly", "test_probe.py"],
                              forked.base_environment(), tmp_path, timeout=120)
    assert code == 0, output[-2000:]
