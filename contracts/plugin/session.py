"""The session's beginning and end: the Run created and registered, the run id and budget every xdist
worker shares, the hypothesis profile, the report header, and what unconfigure leaves tidy (the scratch recording, the
count of creates, the plugin's exit line on its own).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from typing import Any

import pytest

from contracts import editions, profiles, rules
from contracts import settings as settings_module
from contracts import targets as target_module
from contracts.client import CreateBudget
from contracts.editions import Edition
from contracts.naming import new_run_id
from contracts.plugin.opening import stop_cleanly_on_sigterm
from contracts.plugin.output import flush_what_is_printed, redact_everything_printed
from contracts.plugin.run import RUN, Run, budget_path, run_of
from contracts.redaction import register


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # First, and before pytest's terminal reporter takes sys.stdout for its writer: every byte printed, redacted.
    redact_everything_printed()
    config.add_cleanup(flush_what_is_printed)
    # Before pytest-base-url fills the option from its ini value: CLI > env > ini.
    if not config.getoption("base_url", default=None) and settings_module.variable("APIOPS_BASE_URL"):
        config.option.base_url = settings_module.variable("APIOPS_BASE_URL")
    config.addinivalue_line("markers", "rule(*ids): the rules of contracts/rules.py a test verifies")
    config.stash[RUN] = Run(worker=hasattr(config, "workerinput"))
    config.pluginmanager.register(config.stash[RUN], "apiops-run")
    if not hasattr(config, "workerinput"):  # the controller decides; xdist workers inherit its options
        _record_for_the_baseline(config)
    _configure_hypothesis(config)
    _decide_the_run(config)
    if config.getoption("dist", default="no") != "no" and not hasattr(config, "workerinput"):
        # An xdist controller opens no target, where a sequential run starts to stop cleanly (opening.py): a cancel
        # (SIGTERM to the job's processes) would kill it before its workers' clean-up is heard.
        stop_cleanly_on_sigterm()


def _decide_the_run(config: pytest.Config) -> None:
    """The run id and the cap on what the run creates: decided once, by the controller or a sequential run, and
    handed to every xdist worker (``pytest_configure_node``), so that all share one namespace and one count."""
    run = run_of(config)
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        run.run_id, run.create_cap = str(worker.get("apiops_run_id", "")), int(worker.get("apiops_create_cap", 0))
        return
    try:
        run.run_id = new_run_id()
        resolved = settings_module.resolve(config)
    except settings_module.SettingsError:
        return  # said in one line when the target is opened
    # Known to the redaction from the start, in this process too (an xdist controller prints what its workers say).
    register(resolved.token)
    if resolved.client_secret is not None:
        register(resolved.client_secret)
    run.create_cap = profiles.create_cap(profiles.current(), resolved.concurrency)
    if resolved.target != "stub":
        CreateBudget.start(run.create_cap, budget_path(run.run_id))


@pytest.hookimpl(optionalhook=True)  # an xdist hook
def pytest_configure_node(node: Any) -> None:
    run = run_of(node.config)
    node.workerinput["apiops_run_id"], node.workerinput["apiops_create_cap"] = run.run_id, run.create_cap


def _configure_hypothesis(config: pytest.Config) -> None:
    """Before hypothesis' own pytest_configure loads --hypothesis-profile, so a wrong name is one line."""
    profiles.configure(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        resolved = settings_module.resolve(config)
    except settings_module.SettingsError:
        return []  # said once, in the run's one line at its end
    sources = resolved.sources or {}
    lines = [f"apiops target: {resolved.target} (from {sources.get('apiops_target', 'default')}): "
             f"{target_module.target_line(resolved)}",
             f"apiops edition: {resolved.edition} (from {sources.get('apiops_edition', 'default')})"
             + (": decided before any test from read-only evidence" if resolved.edition == editions.AUTO else ""),
             "apiops contract: " + (str(settings_module.contract_document(_pinned(resolved.edition)))
                                    if resolved.edition != editions.AUTO
                                    else "the detected edition's (named with it, before any test)")]
    run = run_of(config)
    if resolved.target != "stub" and run.create_cap:
        lines.append(f"apiops budget: this run may create at most {run.create_cap} credentials (profile "
                     f"{profiles.current()}, --concurrency {resolved.concurrency}; each one a deployment when created "
                     "and when deleted); it stops cleanly before one more")
    if resolved.deviations:
        lines.append(f"apiops deviations: {resolved.deviations}")
    if tuple(resolved.kinds) != rules.KINDS:
        lines.append(f"apiops rules: {', '.join(resolved.kinds)} only")
    return lines


def _pinned(edition: str) -> Edition | None:
    return None if edition == editions.AUTO else editions.get(edition)


def _record_for_the_baseline(config: pytest.Config) -> None:
    """``--baseline DIR`` without ``--record``: record into a fresh directory, compared at the end.

    Decided once, by the controller, and written into the options, so that every xdist worker records
    into the same directory.
    """
    baseline = settings_module.raw(config, "apiops_baseline")
    if baseline and not config.getoption("apiops_record", default=False):
        config.option.apiops_record = True
        config.option.apiops_recordings = run_of(config).scratch = tempfile.mkdtemp(prefix="apiops-run-")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The scratch recording of ``--baseline`` served its comparison: no run leaves a directory behind.

    Last, the line of a run the plugin stopped, on its own (see :func:`keep_the_exit_to_its_line`).
    """
    run = run_of(config) if RUN in config.stash else None
    if run is not None and run.scratch:
        shutil.rmtree(run.scratch, ignore_errors=True)
    if run is not None and run.run_id and not hasattr(config, "workerinput"):  # the count of what it created
        budget_path(run.run_id).unlink(missing_ok=True)
    if run is not None and run.exit_line and not hasattr(config, "workerinput"):  # a worker's is its controller's
        sys.stderr.write(run.exit_line + "\n")
        sys.stderr.flush()


def keep_the_exit_to_its_line(config: pytest.Config, run: Run) -> None:
    """After the session's summary, the terminal reporter has one thing left to do at unconfigure: print the
    ``pytest.exit`` it was told of as ``! _pytest.outcomes.Exit: apiops: … !``. The plugin prints that line
    itself, as it is; pytest offers no switch for it, so the reporter is unregistered once the summary is out
    (its ``pytest_sessionfinish`` call is already under way: pluggy calls a copy of the hook's list).
    """
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if run.exit_line and reporter is not None and not config.getoption("pastebin", default=None):
        config.pluginmanager.unregister(reporter)
