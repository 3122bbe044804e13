"""The session's :class:`Run`: what the plugin knows beyond pytest's own state, kept in the config's stash.

Every module of the plugin reads it through :func:`run_of`; the Run is also registered as a plugin of its
own, for the hooks that get no config (a test's record, the plugin's exit line, what an xdist worker left).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contracts import cleanup, deviations, report, rules
from contracts.judge import Judge
from contracts.living import Lag
from contracts.redaction import redact
from contracts.report import TestRecord
from contracts.targets import Target

EXIT_USAGE = pytest.ExitCode.USAGE_ERROR
RULES_PROPERTY = "apiops_rules"  # the user property that carries a test's record (xdist, JUnit)
CANCELLED = "SIGTERM"  # the KeyboardInterrupt a SIGTERM becomes (opening.py): a CI job cancelled


@dataclass(eq=False)  # registered as a plugin: hashed by identity
class Run:
    """What the session knows beyond pytest's own state."""

    target: Target | None = None
    judge: Judge | None = None
    registry: cleanup.Registry = field(default_factory=cleanup.Registry)
    deviations: deviations.Deviations = deviations.NONE
    kinds: tuple[str, ...] = rules.KINDS
    fail_on: tuple[str, ...] = rules.KINDS  # the rule classes whose failures fail the run (--fail-on)
    records: dict[str, report.TestRecord] = field(default_factory=dict)
    leftovers: list[cleanup.Leftover] = field(default_factory=list)
    drift_text: str = ""
    problems: list[str] = field(default_factory=list)  # what fails the run beyond failed tests
    written: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # lines for the end of the summary
    results: list[report.RuleResult] = field(default_factory=list)
    published: dict[str, Any] = field(default_factory=dict)  # the published description compared, or why not
    scratch: str | None = None  # the recordings directory of --baseline without --record, removed at the end
    exit_line: str | None = None  # the plugin's own pytest.exit message, printed alone at the very end
    cleanup_at: dict[str, str] = field(default_factory=dict)  # run id and Manager URL, for the clean-up command
    infrastructure: dict[str, str] = field(default_factory=dict)  # the proxy's answers: cause -> first example
    rate_limited: dict[str, float] = field(default_factory=dict)  # RateLimit.counts(), summed over xdist workers
    stack: dict[str, str] = field(default_factory=dict)  # the Manager's HTTP stack's answers: cause -> first example
    # A staging that lives (contracts/living.py): the longest wait per claim, others' changes seen, the window.
    living: dict[str, Any] = field(default_factory=lambda: {"lag": {}, "others": 0, "settle": 0.0})
    target_info: dict[str, Any] = field(default_factory=dict)  # what the report says of the target (xdist: a worker's)
    verdicts_loaded: bool = False  # deviations, --rules and --fail-on read (every process that judges or reports)
    run_id: str = ""  # decided once, by the controller (or a sequential run), for every xdist worker
    create_cap: int = 0  # how many credentials the run may create (contracts/profiles.py, create_cap)
    down: str | None = None  # why the Manager cannot be reached any more: the run's one verdict
    away: bool = False  # the Manager stopped answering (or its front door shut): the clean-up waits for it
    token_refused: bool = False  # the token stopped being accepted mid-run: nothing more can be sent
    finishing: bool = False  # the session's clean-up is under way
    running: str = ""  # the test under way, for the line of a cancelled run
    worker: bool = False  # an xdist worker: its controller reports
    stopped_by_a_worker: bool = False  # xdist controller: a worker stopped the run (its exit_line is the verdict)

    def living_lines(self) -> list[str]:
        """The staging's own findings: the lag its lists showed, others' changes to the project."""
        lag = Lag(dict(self.living["lag"])).line(self.living["settle"])
        others = self.living["others"]
        return ([lag] if lag else []) + ([f"the project changed under the run: {others} credential(s) of others "
                                          "created or deleted between its reads; left out of the neighbour rules"]
                                         if others else [])

    def went_down(self, why: str) -> bool:
        """The infrastructure says the Manager cannot be reached: the run's one verdict (see outcomes._stop_when_down).
        Whether to raise it: not during the session's clean-up, which reads its answers and says what it could
        not check."""
        self.down = self.down or why
        self.away = self.away or not self.finishing
        return not self.finishing

    # Hooks without a config argument, on the object registered as a plugin of its own.
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Every test's record, also from xdist workers (it travels in ``user_properties``)."""
        for name, value in report.user_properties:
            if name == RULES_PROPERTY:
                record = TestRecord.from_json(str(value))
                self.records[record.nodeid] = record

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """The plugin stopped the run with ``pytest.exit("apiops: …")``, or a SIGTERM cancelled it: remember the line
        to print it alone, at the very end."""
        value = excinfo.value
        if isinstance(value, pytest.exit.Exception) and str(value.msg).startswith("apiops:"):
            self.exit_line = redact(str(value.msg))
        elif isinstance(value, KeyboardInterrupt) and value.args == (CANCELLED,) and not self.worker:
            # pytest's own account of the interrupt comes first (its traceback under --full-trace, redacted); the
            # run's one verdict last, on its own (an xdist worker's is its controller's to say).
            during = f" during {self.running}" if self.running else ""
            self.exit_line = redact(f"apiops: the run was cancelled (SIGTERM, as CI cancels a job){during}: the "
                                    "tests after it were not run; the clean-up ran before this line (what it left "
                                    "is listed above)")

    @pytest.hookimpl(tryfirst=True)  # before pytest's JUnit writer writes its file
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """A run the plugin stopped (exit 4: the token refused, the Manager gone, bad input) is one errored test
        case in JUnit, carrying the verdict, so that CI's test tab says why instead of showing nothing."""
        if self.exit_line and not hasattr(session.config, "workerinput"):
            stopped_in_junit(session.config, self.exit_line)
            if self.stopped_by_a_worker:  # xdist ended it as interrupted: it is the plugin's verdict, exit 4
                session.exitstatus = EXIT_USAGE

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: a run with -p no:xdist must not fail on it
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: what a worker left behind."""
        output = getattr(node, "workeroutput", {}).get("apiops", {})
        stopped = output.get("stopped")
        if stopped and (not self.exit_line or (self.stopped_by_a_worker and _at_preflight(self.exit_line)
                                               and not _at_preflight(stopped))):
            # A worker stopped the run: the controller's one line. One whose preflight failed because the Manager
            # went down as it began (a restart) says less than one that met it mid-run: the run had begun.
            self.exit_line, self.stopped_by_a_worker = stopped, True
        self.leftovers += [cleanup.Leftover(**item) for item in output.get("leftovers", [])]
        self.published = self.published or output.get("published", {})
        self.cleanup_at = self.cleanup_at or output.get("cleanup_at", {})
        for cause, example in output.get("infrastructure", {}).items():
            self.infrastructure.setdefault(cause, example)
        for name, count in output.get("rate_limited", {}).items():
            self.rate_limited[name] = self.rate_limited.get(name, 0) + count
        for cause, example in output.get("stack", {}).items():
            self.stack.setdefault(cause, example)
        living = output.get("living") or {}
        for claim, seconds in living.get("lag", {}).items():
            self.living["lag"][claim] = max(seconds, self.living["lag"].get(claim, 0.0))
        # Every worker reads the same project: the most one of them saw, not the sum (which counts a change twice).
        self.living["others"] = max(self.living["others"], living.get("others", 0))
        self.living["settle"] = living.get("settle", self.living["settle"])
        self.target_info = self.target_info or output.get("target_info", {})
        self.said += [line for line in output.get("said", []) if line not in self.said]


def stopped_in_junit(config: pytest.Config, verdict: str) -> None:
    """Hand ``--junitxml``'s writer (if any) one errored test case, ``apiops::the run stopped``, with the verdict."""
    from _pytest.junitxml import xml_key  # pytest's own writer: no public API hands it a report

    writer = config.stash.get(xml_key, None)
    if writer is None:
        return
    common: dict[str, Any] = {"nodeid": "apiops::the run stopped", "location": ("apiops", None, "the run stopped"),
                              "keywords": {}, "duration": 0.0, "user_properties": [], "sections": []}
    writer.pytest_runtest_logreport(pytest.TestReport(outcome="failed", longrepr=verdict, when="setup", **common))
    writer.pytest_runtest_logreport(pytest.TestReport(outcome="passed", longrepr=None, when="teardown", **common))


RUN = pytest.StashKey[Run]()
SEED_KEY = pytest.StashKey[int]()


def run_of(config: pytest.Config) -> Run:
    return config.stash[RUN]


def running_target(config: pytest.Config) -> Target | None:
    """The session's target, once opened."""
    return run_of(config).target if RUN in config.stash else None


def budget_path(run_id: str) -> Path:
    """Where the run counts the credentials it created: one file, shared by every xdist worker."""
    return Path(tempfile.gettempdir()) / f"apiops-creates-{run_id}"


def _at_preflight(line: str) -> bool:
    return line.startswith("apiops: preflight:")
