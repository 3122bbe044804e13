"""Run the contract suite as ``python -m pytest`` would, in a process forked from one that has already imported it.

The self-tests start the suite a few hundred times, and each fresh interpreter spends about a second of CPU
importing pytest's plugins, schemathesis and the suite before it sends a request. A fork server (the standard
library's ``multiprocessing`` "forkserver" start method) imports them once per xdist worker; each run is then a
fork of it: a new process with its own environment, working directory, output and exit code, as before.

What a fork keeps from the server is only what was imported, and it is imported as pytest imports it:

- inside a pytest start-up, so that the plugins' modules are loaded by pytest's assertion rewriter, as in a fresh
  run (pytest would otherwise warn that they were "already imported so cannot be rewritten");
- with no hook that changes a state: the start-up stops at ``pytest_cmdline_main``, before any plugin's
  ``pytest_configure``, and imports no test module or conftest (``--noconftest``): hypothesis reads its profile
  when a test module builds its settings;
- in the environment the worker had when it started the server, stripped of ``APIOPS_*`` and ``PYTEST_*`` as
  every run's is. A run whose environment differs in a variable some module might read when it is imported
  gets a fresh interpreter instead (``forkable``).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Variables the suite reads when it runs, never when a module is imported: a run that adds others starts afresh.
READ_AT_RUN_TIME = ("APIOPS_", "GITHUB_STEP_SUMMARY", "REQUESTS_CA_BUNDLE", "SOURCE_DATE_EPOCH", "TMPDIR")
# The modules a run imports after pytest has loaded its plugins (measured: ~280 modules, 0.3 s): the schema, the
# checks and transports schemathesis loads lazily, and the reference gateway a local run starts.
PRELOAD = ("schemathesis.specs.openapi.schemas", "schemathesis.specs.openapi.checks", "schemathesis.openapi.checks",
           "schemathesis.transport.requests", "schemathesis.transport.wsgi", "schemathesis.pytest.lazy",
           "schemathesis.pytest.xdist", "schemathesis.engine.supervisor", "schemathesis.reporting.junitxml",
           "schemathesis.reporting.html", "contracts.gateway.server")


def default_signals() -> None:
    """A child's SIGINT and SIGTERM back to their defaults, whatever the self-tests were started from.

    A shell that starts a job in the background (``bash .ci/run &``) ignores SIGINT in it, and an ignored signal
    stays ignored in every child and across exec: a self-test that interrupts a run with Ctrl-C would then
    interrupt nothing. Given as ``preexec_fn`` to every child a self-test starts, it runs before the exec, so a
    Python child installs its KeyboardInterrupt handler as it does when started from a terminal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def base_environment() -> dict[str, str]:
    """The environment every run starts from: the caller's, without the suite's settings or pytest's own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("APIOPS_", "PYTEST_"))}


def forkable(env: Mapping[str, str]) -> bool:
    """Whether a fork of the server starts as a fresh interpreter would with this environment."""
    base = _server()[1]
    changed = {k for k in env.keys() | base.keys() if env.get(k) != base.get(k)}
    return all(k.startswith(READ_AT_RUN_TIME) for k in changed)


def preload() -> None:
    """In the fork server: a pytest start-up that imports the plugins and PRELOAD, then stops before configuring."""
    import pytest

    class StopBeforeConfigure:
        @pytest.hookimpl(tryfirst=True)
        def pytest_cmdline_main(self) -> int:
            for name in PRELOAD:  # under pytest's assertion rewriter, which is installed until the start-up ends
                __import__(name)
            return 0

    os.environ.clear()
    os.environ.update(base_environment())
    os.chdir(ROOT)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        pytest.main(["-p", "no:cacheprovider", "--noconftest"], plugins=[StopBeforeConfigure()])
    # What was imported never becomes garbage: out of the collector's reach (the standard library's way for a server
    # that forks, https://docs.python.org/3/library/gc.html#gc.freeze), a fork's collections walk only what the run
    # made. Each run's end has pytest collect (its unraisable-exception check): a tenth of a second over the whole
    # heap, three times a run.
    gc.freeze()


def _run(args: list[str], env: dict[str, str], cwd: str, stdout: str, stderr: str) -> None:
    """In a fork: become ``python -m pytest <args>`` run in ``cwd`` with ``env``, writing to the two files."""
    import pytest

    # What a fresh interpreter started with the default dispositions has (see default_signals); the fork server
    # gives its forks the worker's, which ignore SIGINT under a background job.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # the temporary directory is read from TMPDIR again
    os.chdir(cwd)
    sys.path[0] = cwd  # what ``python -m`` puts first
    for fd, path in ((1, stdout), (2, stderr)):
        written = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(written, fd)
        os.close(written)
    sys.argv = [str(Path(pytest.__file__).with_name("__main__.py")), *args]
    sys.exit(pytest.console_main())


def _list_modules(path: str) -> None:
    Path(path).write_text("\n".join(sorted(sys.modules)), encoding="utf-8")


@functools.cache
def _server() -> tuple[multiprocessing.context.ForkServerContext, dict[str, str]]:
    """The fork server's context, and the environment it imported in: the worker's when this is first called."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.forkserver_preload"])
    environment = base_environment()
    with contextlib.chdir(ROOT):  # the server imports tests.* from its working directory
        started = context.Process(target=_list_modules, args=(os.devnull,))  # starts the server now, in this env
        started.start()
    started.join()
    return context, environment


def _start(target: Callable[..., None], *args: object) -> multiprocessing.context.ForkServerProcess:
    process = _server()[0].Process(target=target, args=args)
    process.start()
    return process


def modules_in_a_fork() -> set[str]:
    """The modules a fork starts with (what the server imported)."""
    with tempfile.TemporaryDirectory(prefix="apiops-run-") as scratch:
        listed = Path(scratch, "modules")
        process = _start(_list_modules, str(listed))
        process.join(60)
        return set(listed.read_text(encoding="utf-8").split())


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[int, str]:
    """``python -m pytest`` plus ``command``: its exit code and its output (stdout, then stderr)."""
    with tempfile.TemporaryDirectory(prefix="apiops-run-") as scratch:
        stdout, stderr = Path(scratch, "stdout"), Path(scratch, "stderr")
        process = _start(_run, command, env, str(cwd), str(stdout), str(stderr))
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(["python", "-m", "pytest", *command], timeout)
        return process.exitcode, stdout.read_text() + stderr.read_text()  # decoded as text=True would
