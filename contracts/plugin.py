"""The pytest plugin (entry point ``apiops``): options, the session's target, fixtures, rules, hygiene.

A session opens its target only when a collected test asks for one, so the project's own tests
(``tests/``) never start a gateway or run a preflight. Per test, the plugin keeps a
:class:`~contracts.judge.Ledger` of the rules the judge saw, attributes a failure to its rule (the
failure message begins with the rule's id, statement and public address), turns a failure of a
waived rule into a known deviation, and hands the record to the conformance report. At the end it
cleans up what the run created, lists what it could not, and writes the reports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import random
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts import cleanup, deviations, drift, editions, profiles, published, recording, report, rules
from contracts import settings as settings_module
from contracts import targets as target_module
from contracts.client import (
    ApiClient,
    CreateBudget,
    CreateCapReached,
    GatewayUnreachable,
    TokenNoLongerAccepted,
    UnexpectedResponse,
    UnsafeRequest,
    describe,
    limited_line,
    presents_the_token,
)
from contracts.editions import Edition
from contracts.judge import Judge, Ledger, RuleViolation, recording_into
from contracts.naming import Namespace, new_run_id
from contracts.report import TestRecord
from contracts.secrets import excerpt, redact
from contracts.spec import Contract, SpecError, load, spec_path
from contracts.targets import PreflightError, Target, open_target, preflight, recording_meta

EXIT_USAGE = pytest.ExitCode.USAGE_ERROR
RULES_PROPERTY = "apiops_rules"  # the user property that carries a test's record (xdist, JUnit)


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
    target_info: dict[str, Any] = field(default_factory=dict)  # what the report says of the target (xdist: a worker's)
    verdicts_loaded: bool = False  # deviations, --rules and --fail-on read (every process that judges or reports)
    run_id: str = ""  # decided once, by the controller (or a sequential run), for every xdist worker
    create_cap: int = 0  # how many credentials the run may create (contracts/profiles.py, create_cap)
    down: str | None = None  # why the Manager cannot be reached any more: the run's one verdict
    token_refused: bool = False  # the token stopped being accepted mid-run: nothing more can be sent
    finishing: bool = False  # the session's clean-up is under way

    def went_down(self, why: str) -> bool:
        """The infrastructure says the Manager cannot be reached: the run's one verdict (see _stop_when_down).
        Whether to raise it: not during the session's clean-up, which reads its answers and says what it could
        not check."""
        self.down = self.down or why
        return not self.finishing

    # Hooks without a config argument, on the object registered as a plugin of its own.
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Every test's record, also from xdist workers (it travels in ``user_properties``)."""
        for name, value in report.user_properties:
            if name == RULES_PROPERTY:
                record = TestRecord.from_json(str(value))
                self.records[record.nodeid] = record

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """The plugin stopped the run with ``pytest.exit("apiops: …")``: remember the line to print it alone."""
        value = excinfo.value
        if isinstance(value, pytest.exit.Exception) and str(value.msg).startswith("apiops:"):
            self.exit_line = redact(str(value.msg))

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: a run with -p no:xdist must not fail on it
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: what a worker left behind."""
        output = getattr(node, "workeroutput", {}).get("apiops", {})
        self.leftovers += [cleanup.Leftover(**item) for item in output.get("leftovers", [])]
        self.published = self.published or output.get("published", {})
        self.cleanup_at = self.cleanup_at or output.get("cleanup_at", {})
        for cause, example in output.get("infrastructure", {}).items():
            self.infrastructure.setdefault(cause, example)
        for name, count in output.get("rate_limited", {}).items():
            self.rate_limited[name] = self.rate_limited.get(name, 0) + count
        for cause, example in output.get("stack", {}).items():
            self.stack.setdefault(cause, example)
        self.target_info = self.target_info or output.get("target_info", {})


RUN = pytest.StashKey[Run]()
SEED_KEY = pytest.StashKey[int]()


def _run(config: pytest.Config) -> Run:
    return config.stash[RUN]


def running_target(config: pytest.Config) -> Target | None:
    """The session's target, once opened."""
    return _run(config).target if RUN in config.stash else None


# -- configuration -----------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    settings_module.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """A path option in the space form that changed pytest's rootdir or ini file: one line, exit 4.

    Before pytest runs anything (nothing is configured yet, so nothing else is printed).
    """
    problem = _space_form_problem(config)
    if problem is None:
        return None
    sys.stderr.write(f"apiops: {problem}\n")
    return int(EXIT_USAGE)


PATH_METAVARS = ("DIR", "FILE", "PATH")
PYTEST_SECTIONS = {"pytest.ini": "", ".pytest.ini": "", "pyproject.toml": "[tool.pytest", "tox.ini": "[pytest]",
                   "setup.cfg": "[tool:pytest]"}


def _space_form_problem(config: pytest.Config) -> str | None:
    """pytest decides its rootdir and ini file before it knows this plugin's options, so ``--recordings DIR``
    hands it DIR as a test path, and it decides from DIR too. When that decision differs from the one the
    ``=`` form gets (decided from the real test paths alone), the project's configuration would be lost
    (``testpaths``, ``addopts``…) or another one read: say so, with the ``=`` form to use instead."""
    if config.getoption("inifilename", default=None):  # -c FILE: nothing was decided from the arguments
        return None
    args = [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *config.invocation_params.args]
    invoked = config.invocation_params.dir
    paths = {f"--{option.flag}" for option in settings_module.OPTIONS if option.metavar in PATH_METAVARS}
    spaced = [(flag, value) for flag, value in zip(args, args[1:], strict=False)
              if flag in paths and not value.startswith("-") and (invoked / value).exists()]
    if not spaced:
        return None
    given = [invoked / str(arg) for arg in (config.getoption("file_or_dir", default=None) or [])]
    dirs = [path if path.is_dir() else path.parent for path in given if path.exists()]
    start = Path(os.path.commonpath([str(path.resolve()) for path in dirs])) if dirs else invoked
    inifile = next((path for directory in (start, *start.parents) for path in _pytest_config_files(directory)), None)
    if inifile == config.inipath and (inifile is None or inifile.parent == config.rootpath):
        return None
    flag, value = spaced[0]
    decided = f"{config.rootpath} and {config.inipath or 'no configuration file'}"
    return (f"{flag} {value}: in the space form pytest took the path for a test path, before it knew the option, "
            f"and decided its rootdir and configuration from it ({decided}, not {inifile or start}); write "
            f"{flag}={value}")


def _pytest_config_files(directory: Path) -> list[Path]:
    """The files of ``directory`` that pytest would read its configuration from, in pytest's order."""
    found = []
    for name, section in PYTEST_SECTIONS.items():
        path = directory / name
        if path.is_file() and (not section or section in path.read_text(encoding="utf-8", errors="replace")):
            found.append(path)
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Before pytest-base-url fills the option from its ini value: CLI > env > ini.
    if not config.getoption("base_url", default=None) and os.environ.get("APIOPS_BASE_URL"):
        config.option.base_url = os.environ["APIOPS_BASE_URL"]
    config.addinivalue_line("markers", "rule(*ids): the rules of contracts/rules.py a test verifies")
    config.stash[RUN] = Run()
    config.pluginmanager.register(config.stash[RUN], "apiops-run")
    if not hasattr(config, "workerinput"):  # the controller decides; xdist workers inherit its options
        _record_for_the_baseline(config)
    _configure_hypothesis(config)
    _decide_the_run(config)
    _redact_log_records()


def _decide_the_run(config: pytest.Config) -> None:
    """The run id and the cap on what the run creates: decided once, by the controller or a sequential run, and
    handed to every xdist worker (``pytest_configure_node``), so that all share one namespace and one count."""
    run = _run(config)
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        run.run_id, run.create_cap = str(worker.get("apiops_run_id", "")), int(worker.get("apiops_create_cap", 0))
        return
    try:
        run.run_id = new_run_id()
        resolved = settings_module.resolve(config)
    except settings_module.SettingsError:
        return  # said in one line when the target is opened
    run.create_cap = profiles.create_cap(profiles.current(), resolved.concurrency)
    if resolved.target != "stub":
        CreateBudget.start(run.create_cap, _budget_path(run.run_id))


def _budget_path(run_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"apiops-creates-{run_id}"


@pytest.hookimpl(optionalhook=True)  # an xdist hook
def pytest_configure_node(node: Any) -> None:
    run = _run(node.config)
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
             f"{target_module.describe(resolved)}",
             f"apiops edition: {resolved.edition} (from {sources.get('apiops_edition', 'default')})"
             + (": decided before any test from read-only evidence" if resolved.edition == editions.AUTO else ""),
             f"apiops contract: {spec_path(_pinned(resolved.edition))}"]
    run = _run(config)
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


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every contract test declares known rules; ``--rules`` keeps the tests of the chosen classes."""
    suite = [item for item in items if "target" in getattr(item, "fixturenames", ())]
    if not suite:
        return
    for item in suite:
        ids = [rule_id for marker in item.iter_markers("rule") for rule_id in marker.args]
        if not ids:
            raise pytest.UsageError(f"{item.nodeid} declares no rule: mark it @pytest.mark.rule(<rule id>)")
        unknown = [rule_id for rule_id in ids if rule_id not in rules.RULES]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} declares an unknown rule {unknown[0]!r} (contracts/rules.py)")
    try:
        chosen = settings_module.kinds(_raw_rules(config))
    except settings_module.SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if tuple(chosen) == rules.KINDS:
        return
    deselected = [item for item in suite if not any(rules.RULES[rule_id].kind in chosen for rule_id in _declared(item))]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def _raw_rules(config: pytest.Config) -> str:
    return settings_module.raw(config, "apiops_rules") or ",".join(rules.KINDS)


def _declared(item: pytest.Item) -> list[str]:
    return [rule_id for marker in item.iter_markers("rule") for rule_id in marker.args]


def pytest_collection_finish(session: pytest.Session) -> None:
    if config_uses_target(session) and not session.config.option.collectonly:
        _open(session.config)


def config_uses_target(session: pytest.Session) -> bool:
    return any("target" in getattr(item, "fixturenames", ()) for item in session.items)


def _open(config: pytest.Config) -> Target:
    run = _run(config)
    if run.target is not None:
        return run.target
    try:
        contract = load()  # an invalid contract is one clear error, before anything is sent
        resolved = _with_baseline(settings_module.resolve(config))
        _load_verdict_settings(run, resolved)
        target = open_target(resolved, run.run_id or None)
        if target.kind != "stub" and run.create_cap:
            target.client.create_budget = CreateBudget(run.create_cap, _budget_path(target.namespace.run_id))
        target.client.session.rate_limit.rate = target_module.rate_share(resolved)  # --rate-limit, this worker's share
    except (settings_module.SettingsError, SpecError, recording.RecordingError, PreflightError,
            deviations.DeviationsError) as exc:
        pytest.exit(f"apiops: {redact(str(exc))}", returncode=EXIT_USAGE)
    run.target = target
    try:
        preflight(target)
        contract = load(target.edition)  # the document of the edition the run holds the gateway to
    except (PreflightError, SpecError) as exc:
        target.close()
        run.target = None
        pytest.exit(f"apiops: {redact(str(exc))}", returncode=EXIT_USAGE)
    # Where the supporting operations are: the edition's paths, and the gateway's own description where it declares
    # one (a Manager's description is generated from its code: it knows where its routes are).
    target.client.paths = {**target.edition.paths, **target.declared_paths}
    # Before anything is created: which characters of a username the Manager's stack refuses in a path.
    target.routing = target.client.routing = target_module.learn_routing(target)
    kinds = set(run.kinds)
    judge = Judge(contract, target.settings.max_response_time,
                  waived=lambda rule_id: run.deviations.waived(rule_id) or rules.RULES[rule_id].kind not in kinds,
                  api_path=_api_path(target.api_url), edition=target.edition, stack_seen=run.stack,
                  routing=target.routing)
    run.judge = judge
    session = target.client.session
    if target.kind == "stub":
        session.observers.append(recording.restore_elapsed)  # first: the recorded time is the answer's time
    # The judge behind a watch that keeps the infrastructure's answers (a proxy's) from it (docs/proxies.md).
    session.observers += [run.registry.observe, _token_watch(run, target),
                          session.watch_infrastructure(judge, run.infrastructure, run.went_down)]
    session.on_failure = judge.translate
    if target.settings.record:
        recording.write_meta(target.recordings, recording_meta(target))
    _say(config, f"apiops edition: {target.edition}, chosen on: {'; '.join(target.evidence)}")
    run.published = _compare_published(target, contract)
    if run.published:  # one line under the header (an xdist worker cannot print: the summary has it too)
        line = run.published.get("headline") or f"the gateway's published description: {run.published['note']}"
        _say(config, f"apiops: {line}")
    for earlier in target.earlier:
        _say(config, f"apiops: left in {target.project} by an earlier run: {earlier.line()}")
    _stop_cleanly_on_sigterm()
    return target


def _token_watch(run: Run, target: Target) -> Callable[[requests.Response], None]:
    """Session observer, before the judge: a 401 to the suite's own token, which preflight saw accepted, means the
    token stopped being accepted (it expired, or was revoked: authentication.md, Token Expiration). The run's one
    verdict (exit 4), blaming no rule; a service account's token was already fetched again once (the client)."""
    source = target.client.session.token_auth.source

    def observe(response: requests.Response) -> None:
        if response.status_code != 401 or not presents_the_token(response.request.headers.get("Authorization")):
            return
        at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        again = " (a new token fetched for it was refused too)" if source.refreshable else ""
        why = (f"the {source.kind} stopped being accepted at {at}: {response.request.method} "
               f"{redact(str(response.url))} answered 401 {excerpt(response.text, 120)}{again}, after preflight and "
               "the run's earlier requests got through with it; it expired or was revoked (authentication.md, Token "
               "Expiration). No rule is blamed")
        run.token_refused = True
        if response.request.method == "POST":  # a refused create made nothing: not the run's to report
            with contextlib.suppress(ValueError, TypeError, KeyError):
                run.registry.forget(json.loads(response.request.body or b"{}")["username"])
        if run.went_down(why):
            raise TokenNoLongerAccepted(why, str(response.request.method), str(response.url))

    return observe


def _load_verdict_settings(run: Run, resolved: settings_module.Settings) -> None:
    """The known deviations, ``--rules`` and ``--fail-on``: read by every process that judges or reports, so that
    the xdist controller's report and exit code are those of a sequential run."""
    run.deviations = deviations.load(resolved.deviations)
    run.kinds, run.fail_on, run.verdicts_loaded = resolved.kinds, resolved.fail_on, True


def _target_info(target: Target) -> dict[str, Any]:
    """What the report says of the target; an xdist worker hands it to the controller, which opens none."""
    return {"base_url": target.api_url, "project": target.project, "run_id": target.namespace.run_id,
            "edition": str(target.edition), "edition_evidence": list(target.evidence),
            "gateway": target.meta.get("gateway"), "gateway_version": target.meta.get("gateway_version")}


def _compare_published(target: Target, contract: Contract) -> dict[str, Any]:
    """The gateway's own description of the DELETE beside openapi.yaml (information; strict: breaking fails).

    Recorded beside the recording's metadata, so that drift compares what two gateways declared.
    """
    mode = target.settings.published_spec
    if target.kind == "stub" or mode == "off":
        return {}
    found = target_module.fetch_published(target)
    if found.document is None:
        return {"note": found.note, "url": found.url}
    if target.settings.record:
        recording.write_published(target.recordings, found.document)
    comparison = published.compare(contract.document, found.document)
    return {"url": found.url, "headline": f"the gateway's published description ({found.url}): "
            f"{comparison.headline()}", "lines": comparison.to_lines(), "json": comparison.to_json(),
            "breaking": comparison.has_breaking, "strict": mode == "strict"}


def _manager_url(api_url: str) -> str:
    """The Manager URL the run was given (base-url.md): the API root without its ``/apiops``."""
    return api_url[: -len("/apiops")] if api_url.endswith("/apiops") else api_url


def _api_path(api_url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(api_url).path


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(config, "workerinput"):
        reporter.write_line(redact(line))


def _record_for_the_baseline(config: pytest.Config) -> None:
    """``--baseline DIR`` without ``--record``: record into a fresh directory, compared at the end.

    Decided once, by the controller, and written into the options, so that every xdist worker records
    into the same directory.
    """
    baseline = settings_module.raw(config, "apiops_baseline")
    if baseline and not config.getoption("apiops_record", default=False):
        config.option.apiops_record = True
        config.option.apiops_recordings = _run(config).scratch = tempfile.mkdtemp(prefix="apiops-run-")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The scratch recording of ``--baseline`` served its comparison: no run leaves a directory behind.

    Last, the line of a run the plugin stopped, on its own (see :func:`_keep_the_exit_to_its_line`).
    """
    run = _run(config) if RUN in config.stash else None
    if run is not None and run.scratch:
        shutil.rmtree(run.scratch, ignore_errors=True)
    if run is not None and run.run_id and not hasattr(config, "workerinput"):  # the count of what it created
        _budget_path(run.run_id).unlink(missing_ok=True)
    if run is not None and run.exit_line:
        sys.stderr.write(run.exit_line + "\n")
        sys.stderr.flush()


def _keep_the_exit_to_its_line(config: pytest.Config, run: Run) -> None:
    """After the session's summary, the terminal reporter has one thing left to do at unconfigure: print the
    ``pytest.exit`` it was told of as ``! _pytest.outcomes.Exit: apiops: … !``. The plugin prints that line
    itself, as it is; pytest offers no switch for it, so the reporter is unregistered once the summary is out
    (its ``pytest_sessionfinish`` call is already under way: pluggy calls a copy of the hook's list).
    """
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if run.exit_line and reporter is not None and not config.getoption("pastebin", default=None):
        config.pluginmanager.unregister(reporter)


def _with_baseline(resolved: settings_module.Settings) -> settings_module.Settings:
    """``--baseline DIR``: check DIR now, before anything is tested."""
    if resolved.baseline:
        drift.check_baseline(Path(resolved.baseline))
    return resolved


def _stop_cleanly_on_sigterm() -> None:
    # CI cancels a job with SIGTERM: turn it into KeyboardInterrupt so that fixtures tear down and
    # the session's clean-up runs, as on Ctrl-C.
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # Not the main thread (e.g. an embedding runner): keep its handler.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, interrupt)


# -- per test: the ledger, the rule of a failure, deviations ---------------------------------------------
LEDGER = pytest.StashKey[Ledger]()
OUTCOMES = pytest.StashKey[list[pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    if "target" not in getattr(item, "fixturenames", ()):
        return (yield)
    ledger = Ledger(item.nodeid, [rules.RULES[rule_id] for rule_id in _declared(item) if rule_id in rules.RULES])
    item.stash[LEDGER] = ledger
    with recording_into(ledger):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    ledger = item.stash.get(LEDGER, None)
    if ledger is not None:
        ledger.raise_deferred()  # what the judge found and the test did not look at; the time budget
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report_: pytest.TestReport = yield
    ledger = item.stash.get(LEDGER, None)
    if ledger is not None:
        _stop_when_down(item, call)
        _attribute(item, call, report_, ledger)
    _scrub(report_)
    return report_


def _stop_when_down(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """The Manager went down (its proxy says so, or it refuses connections): one verdict naming it, exit 4,
    instead of one failure per test; the session's clean-up still runs and says what it could not check."""
    run = _run(item.config)
    target = run.target
    if run.down is None and call.excinfo is not None and target is not None and target.kind != "stub":
        unreachable = _found(call.excinfo.value, GatewayUnreachable)
        if unreachable is not None:
            run.down = f"the Manager ({_manager_url(target.api_url)}) stopped answering: {unreachable}"
        capped = _found(call.excinfo.value, CreateCapReached)
        if capped is not None:
            run.down = str(capped)
    if run.down is not None:
        pytest.exit(redact(f"apiops: {run.down}; the run stops here, during {item.nodeid} (the tests after it "
                           "were not run)"), returncode=EXIT_USAGE)


def _found(exc: BaseException | None, kind: type[BaseException], depth: int = 0) -> BaseException | None:
    """``exc`` or what it wraps (cause, context, an exception group's members) that is a ``kind``."""
    if exc is None or depth > 8:
        return None
    if isinstance(exc, kind):
        return exc
    inner = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else []
    for candidate in [*inner, exc.__cause__, exc.__context__]:
        hit = _found(candidate, kind, depth + 1)
        if hit is not None:
            return hit
    return None


def _attribute(item: pytest.Item, call: pytest.CallInfo[None], rep: pytest.TestReport, ledger: Ledger) -> None:
    """Name the rule a failure breaks, turn a waived one into a deviation, and leave the test's record."""
    run = _run(item.config)
    if rep.failed and call.excinfo is not None:
        rule = _rule_of(call.excinfo.value, ledger)
        detail = call.excinfo.value.detail if isinstance(call.excinfo.value, RuleViolation) \
            else _first_line(call.excinfo.exconly())
        if rule is not None:
            if run.deviations.waived(rule.id):
                ledger.deviate(rule, detail)
                rep.outcome = "skipped"
                rep.wasxfail = f"deviation {rule.id}: {detail}"  # reported like an xfail
            elif rule.kind not in run.fail_on and rule.id not in settings_module.ALWAYS_FAIL:
                # Its class is only warned about (--fail-on): seen, reported, not failing the run.
                ledger.failed.pop(rule.id, None)  # the judge's verdict, turned into the warning
                ledger.deviate(rule, detail)
                rep.outcome = "skipped"
                rep.wasxfail = f"warning {rule.id} ({rule.kind}, not in --fail-on): {detail}"
            else:
                ledger.failed.setdefault(rule.id, detail)
                _headline(rep, rule, detail, _edition_of(item.config), [other for other in ledger.failed
                                                                        if other != rule.id])
    outcomes = item.stash.setdefault(OUTCOMES, [])
    outcomes.append(rep)
    if rep.when == "teardown":  # the test's record, once all its phases are known
        rep.user_properties.append((RULES_PROPERTY, _record(item, outcomes, ledger).to_json()))



def _rule_of(exc: BaseException, ledger: Ledger) -> rules.Rule | None:
    """The rule a failure breaks: named by it, by its schemathesis check, else the test's first declared rule.

    None for a failure that says nothing about the gateway's rules (it could not be reached, or the
    suite refused to send something).
    """
    if isinstance(exc, RuleViolation):
        return exc.rule
    if isinstance(exc, (GatewayUnreachable, UnsafeRequest)):
        return None
    group = getattr(exc, "exceptions", None)  # a schemathesis FailureGroup: each failure names its check
    if group:
        for failure in group:
            if isinstance(failure, RuleViolation):
                return failure.rule
            if id(failure) in ledger.failure_rules:
                return ledger.failure_rules[id(failure)]
        return rules.DOCUMENTED
    return ledger.declared[0] if ledger.declared else None


def _first_line(text: str) -> str:
    return redact(text.strip().splitlines()[0] if text.strip() else text)


def _edition_of(config: pytest.Config) -> Edition | None:
    """The edition the run holds the gateway to, once its target is open: whose pages a failure cites."""
    target = running_target(config)
    return target.edition if target is not None else None


def _headline(rep: pytest.TestReport, rule: rules.Rule, detail: str, edition: Edition | None,
              others: list[str]) -> None:
    """The failure's one-line form (``--tb=line``, ``-rf``, JUnit ``message``) begins with the rule; the other rules
    the judge saw fail in the same test follow it, so that the terminal names every rule the report counts."""
    also = f" (also failed: {', '.join(others)})" if others else ""
    crash = getattr(rep.longrepr, "reprcrash", None)
    if crash is not None and hasattr(crash, "message"):
        crash.message = f"{rule.headline(edition)}: {detail}{also}"
    rep.sections.append(("rule", f"{rule.headline(edition)}\n{detail}{also}"))


def _record(item: pytest.Item, phases: list[pytest.TestReport], ledger: Ledger) -> report.TestRecord:
    """What the test as a whole (setup, call, teardown) says of its rules."""
    failed = [rep for rep in phases if rep.failed]
    skipped = [rep for rep in phases if rep.skipped and not hasattr(rep, "wasxfail")]
    message = ""
    if failed:
        outcome = "failed"
        if not ledger.failed:
            message = _first_line(str(failed[0].longrepr))
    elif any(hasattr(rep, "wasxfail") for rep in phases):
        outcome = "deviation"
    elif skipped:
        outcome = "skipped"
        longrepr = skipped[0].longrepr
        message = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    else:
        outcome = "passed"
    return report.TestRecord(item.nodeid, outcome, [rule.id for rule in ledger.declared], sorted(ledger.held),
                             dict(ledger.failed), dict(ledger.deviations), redact(message))


# -- secret hygiene -------------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo[Any],
                              report: pytest.TestReport) -> Generator[None, None, None]:
    """After every other plugin rebuilt the failure (schemathesis does, from the raw exception): scrub it."""
    result = yield
    _scrub(report)
    ledger = node.stash.get(LEDGER, None) if isinstance(node, pytest.Item) else None
    if ledger is not None and isinstance(report.longrepr, str) and ledger.failed:
        rule_id = next(iter(ledger.failed))
        report.longrepr = f"{rules.RULES[rule_id].headline(_edition_of(node.config))}\n\n{report.longrepr}"
    return result


def _scrub(report_: pytest.TestReport) -> None:
    """The token, in any encoding, out of the failure text and the captured output."""
    if report_.longrepr is not None:
        text = str(report_.longrepr)
        cleaned = redact(text)
        if cleaned != text:
            report_.longrepr = cleaned
    report_.sections = [(name, redact(content)) for name, content in report_.sections]


def _redact_log_records() -> None:
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_apiops", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken log call is not ours to fix here
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    make._apiops = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)


# -- the end of the session --------------------------------------------------------------------------------------
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    run = _run(config)
    target = run.target
    if target is not None:
        try:
            if target.kind != "stub":  # a replay created nothing real
                assert run.judge is not None
                run.finishing = True
                if run.token_refused:  # nothing more can be sent: what its creates made, as far as the run knows
                    run.leftovers = [cleanup.Leftover(project, name, "its create succeeded; not checked, not deleted: "
                                                      "the token is no longer accepted", listed=False)
                                     for name, project in sorted(run.registry.alive.items())]
            if target.kind != "stub" and not run.token_refused:
                assert run.judge is not None
                with run.judge.aside():
                    # Counted from the gateway's list, read once per project after the deletes, not from the
                    # register (a create that never succeeded made nothing; a DELETE's 200 is checked, every
                    # test's included); the register is the upper bound when the list cannot be read.
                    run.leftovers = cleanup.clean_up(target.client, run.registry, target.namespace,
                                                     sorted(target.client.projects))
            if target.kind != "stub":
                run.cleanup_at = {"run_id": target.namespace.run_id, "manager_url": _manager_url(target.api_url)}
        finally:
            run.rate_limited = target.client.session.rate_limit.counts()
            target.close()
    _keep_the_exit_to_its_line(config, run)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports
        workeroutput["apiops"] = {"target_info": _target_info(target) if target is not None else {},
                                  "leftovers": [dataclasses.asdict(item) for item in run.leftovers],
                                  "published": run.published, "cleanup_at": run.cleanup_at,
                                  "infrastructure": run.infrastructure, "stack": run.stack}
        workeroutput["apiops"]["rate_limited"] = run.rate_limited
        return
    _compare_with_the_baseline(config, run)
    if run.leftovers:
        run.problems.append(f"{len(run.leftovers)} credential(s) left behind (see above)")
    if run.published.get("breaking") and run.published.get("strict"):
        run.problems.append("the gateway's published description breaks the contract document "
                            "(--published-spec strict)")
    if run.target is not None or run.records:
        _write_reports(config, run)
    if run.problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _compare_with_the_baseline(config: pytest.Config, run: Run) -> None:
    """Once every test (of every worker) recorded: the drift against ``--baseline``, breaking drift failing the run."""
    baseline, recordings = settings_module.raw(config, "apiops_baseline"), config.getoption("apiops_recordings")
    if not baseline or not recordings or not run.records:
        return
    text, breaking = drift.summarise_for_terminal(Path(baseline), Path(recordings), selected=set(run.records))
    run.drift_text = text
    if breaking:
        run.problems.append("breaking drift against the baseline (see above)")


def _write_reports(config: pytest.Config, run: Run) -> None:
    try:
        resolved = settings_module.resolve(config)
        if not run.verdicts_loaded:  # the xdist controller, which opened no target
            _load_verdict_settings(run, _with_baseline(resolved))
    except (settings_module.SettingsError, deviations.DeviationsError):
        return
    results = report.build(run.records.values(), run.deviations, run.kinds)
    run.problems += report.run_problems(results, run.deviations)
    if resolved.deviations_update:  # adoption on day one: today's failing rules become known deviations
        failed = {result.rule.id: redact(result.message) for result in results if result.outcome == "failed"}
        info = _target_info(run.target) if run.target is not None else run.target_info
        count = deviations.write_baseline(Path(resolved.deviations_update), failed,
                                          str(info.get("base_url") or resolved.target))
        run.said.append(f"apiops: wrote {count} known deviation(s) to {resolved.deviations_update} (today's failing "
                        f"rules, each until {deviations.BASELINE_DAYS} days from now): run with "
                        f"--deviations={resolved.deviations_update}")
    info = _target_info(run.target) if run.target is not None else run.target_info
    run_info = {
        "target": resolved.target,
        "gateway": info.get("gateway") or ("reference gateway" if resolved.target == "local" else
                                           os.environ.get("APIOPS_GATEWAY_NAME", "live gateway")),
        "gateway_version": info.get("gateway_version") or os.environ.get("APIOPS_GATEWAY_VERSION"),
        "base_url": info.get("base_url"),
        "project": info.get("project") or resolved.project,
        "date": date.today().isoformat(),
        "run_id": info.get("run_id"),
        "edition": info.get("edition") or resolved.edition,
        "edition_evidence": info.get("edition_evidence") or [],
    }
    extra = {"leftovers": [dataclasses.asdict(item) for item in run.leftovers], "stack": run.stack,
             "infrastructure": run.infrastructure,
             "published_spec": run.published.get("json") or {"note": run.published.get("note", "not compared")}}
    extra["rate_limited"] = run.rate_limited
    notes = [*run.problems, *([run.published["headline"]] if run.published.get("headline") else []),
             *(f"answered by the Manager's HTTP stack, not its code: {cause} (e.g. {example})"
               for cause, example in run.stack.items())]
    if resolved.report or resolved.report_json or os.environ.get("GITHUB_STEP_SUMMARY"):
        run.written = report.write(results, run_info, markdown=resolved.report, json_path=resolved.report_json,
                                   notes=notes, extra=extra)
    run.results = results


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = _run(config)
    if run.drift_text:
        terminalreporter.section("drift against the baseline")
        terminalreporter.write_line(redact(run.drift_text))
    warned = [result for result in run.results if result.outcome == "warned"]
    if warned:  # what --fail-on let through: seen, and not failing the run
        terminalreporter.section("warned, not failed (--fail-on)")
        for result in warned:
            terminalreporter.write_line(redact(f"warned: {result.rule.id} ({result.rule.kind}): {result.message}"))
    noteworthy = [result for result in run.results if result.outcome in ("deviation", "fixed-deviation")]
    if noteworthy or run.deviations.expired():
        terminalreporter.section("known deviations")
        for result in noteworthy:
            terminalreporter.write_line(redact(f"{result.outcome}: {result.rule.id}: {result.message}"))
        for waiver in run.deviations.expired():
            terminalreporter.write_line(f"expired: {waiver.rule.id} (until {waiver.until})")
    # Compared, or why not: the differences under it when one is breaking, when it could not be compared, or with -v;
    # a run whose gateway only differs harmlessly said so in one line under the header.
    if run.published and (run.published.get("breaking") or not run.published.get("lines")
                          or config.getoption("verbose") > 0):
        terminalreporter.section("the gateway's published description")
        terminalreporter.write_line(redact(run.published.get("url", "")))
        for line in run.published.get("lines") or [f"not compared: {run.published.get('note', '')}"]:
            terminalreporter.write_line(redact(line))
    if run.infrastructure:  # not the Manager's answers: reported, one line per cause, judged by no rule
        terminalreporter.section("answered by the infrastructure, not the Manager")
        for cause, example in run.infrastructure.items():
            terminalreporter.write_line(redact(f"{cause} (e.g. {example})"))
    if run.stack:  # the Manager's HTTP stack's own answers: held to HTTP's rules, one line per cause
        terminalreporter.section("answered by the Manager's HTTP stack, not its code")
        for cause, example in run.stack.items():
            terminalreporter.write_line(redact(f"{cause} (e.g. {example.split('; ')[0]})"))
    if run.leftovers:
        terminalreporter.section("credentials left behind")
        unread = sorted({item.project for item in run.leftovers if not item.listed})
        if unread:
            terminalreporter.write_line(f"the credential list of {', '.join(unread)} could not be read: the names "
                                        "registered for clean-up there are an upper bound, not a count")
        for leftover in run.leftovers:
            terminalreporter.write_line(redact(f"{leftover.line()}"))
        run_id = run.cleanup_at.get("run_id", "<run id>")
        terminalreporter.write_line("remove them with (the token from APIOPS_TOKEN):")
        for project in sorted({item.project for item in run.leftovers}):
            terminalreporter.write_line("  " + cleanup.command(run_id, run.cleanup_at.get("manager_url",
                                                                                        "<manager url>"), project))
    if run.create_cap and run.run_id and run.records and _budget_path(run.run_id).exists():
        used = CreateBudget(run.create_cap, _budget_path(run.run_id)).used()
        terminalreporter.write_line(f"apiops: created {used} credential(s), of the {run.create_cap} this run may "
                                    "create")
    limited = limited_line(run.rate_limited)  # only when an answer was limited
    if limited:
        terminalreporter.write_line(limited)
    for path in run.written:
        terminalreporter.write_line(f"apiops: conformance report written to {path}")
    for line in run.said:
        terminalreporter.write_line(redact(line))
    for problem in run.problems:  # what fails the run though every test passed
        terminalreporter.write_line(redact(f"apiops: the run fails: {problem}"), red=True)


# -- fixtures ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The gateway under test, opened (and preflighted) once per session."""
    return _open(pytestconfig)


@pytest.fixture(scope="session")
def client(target: Target) -> ApiClient:
    return target.client


@pytest.fixture(scope="session")
def contract(target: Target) -> Contract:
    """The contract document of the edition the run holds the gateway to."""
    return load(target.edition)


@pytest.fixture(scope="session")
def edition(target: Target) -> Edition:
    """The edition of the docs the run holds the gateway to (contracts/editions), chosen before any test."""
    return target.edition


@pytest.fixture(scope="session")
def judge(target: Target, pytestconfig: pytest.Config) -> Judge:
    """The one judge (contracts/judge.py), already watching every answer of the client's session."""
    found = _run(pytestconfig).judge
    assert found is not None
    return found


@pytest.fixture(autouse=True)
def recorded_exchanges(request: pytest.FixtureRequest) -> Iterator[recording.Recording | None]:
    """Per test: replay its recording (stub), or record its exchanges (--record), or stay out."""
    if "target" not in request.fixturenames:
        yield None
        return
    target: Target = request.getfixturevalue("target")
    nodeid = request.node.nodeid
    observers = target.client.session.observers
    if target.kind == "stub":
        try:
            recorded = recording.read(target.recordings, nodeid)
        except recording.RecordingError as exc:
            # An error, never a skip: an unrecorded scenario is an unchecked rule.
            pytest.fail(str(exc), pytrace=False)
        with recording.replay(recorded, target.api_url) as mock:
            yield recorded
            # After the test's own fixtures tore down (its clean-up is part of its recording).
            left = recording.unfired(mock)
        if left:
            raise UnexpectedResponse(f"the recording holds exchanges this test did not make: {left[0]}"
                                     + (f" (and {len(left) - 1} more)" if len(left) > 1 else "")
                                     + " — a recording of another run of the test? re-record it")
    elif target.settings.record:
        recorder = recording.Recorder(target.api_url)
        observers.insert(0, recorder)  # before the judge: a failing answer is recorded too
        target.client.session.failure_observers.append(recorder.failed)
        try:
            yield None
        finally:
            observers.remove(recorder)
            target.client.session.failure_observers.remove(recorder.failed)
            root = target.namespace.scoped(nodeid).root
            recording.write(target.recordings, recording.Recording(nodeid, root, recorder.interactions))
    else:
        yield None


@pytest.fixture(scope="session")
def property_seed(pytestconfig: pytest.Config) -> int | None:
    """The seed of this session's generated cases; None under a derandomized profile (``ci``).

    ``--hypothesis-seed`` sets it, so the seed a failure report names replays that failure; without
    it each session draws a fresh one. A derandomized profile generates the same cases every run.
    """
    import hypothesis

    if getattr(hypothesis.settings.default, "derandomize", False):
        return None
    given = pytestconfig.getoption("hypothesis_seed", default=None)
    seed = profiles.seed_of(given) if given is not None else random.getrandbits(32)
    pytestconfig.stash[SEED_KEY] = seed  # named in the hint that replays a failure
    return seed


@pytest.fixture
def namespace(
    target: Target, request: pytest.FixtureRequest, recorded_exchanges: recording.Recording | None
) -> Namespace:
    """Names for this test, deterministic from its node id; on replay, the recorded ones."""
    if recorded_exchanges is not None:
        return Namespace.from_root(recorded_exchanges.namespace, target.namespace.run_id)
    return target.namespace.scoped(request.node.nodeid)


@pytest.fixture
def project(target: Target) -> str:
    return target.project


@pytest.fixture
def api_proxy(target: Target) -> str:
    if not target.settings.api_proxy:
        pytest.skip("needs --api-proxy (APIOPS_API_PROXY): an API proxy the suite may grant")
    return target.settings.api_proxy


@pytest.fixture
def other_project(target: Target) -> str:
    other = target.other_project
    if not other:
        pytest.skip("needs a second project: none visible to the token, and no --other-project")
    return other


class Credentials:
    """Throwaway credentials of one test: ``credentials()`` creates one, ``credentials.all(names)`` several at once.

    create-credential.md: usernames are unique across all credentials. A name is registered for
    clean-up before its create is sent, because a create whose answer never arrives (Ctrl-C, a
    timeout, a dropped connection) may have made it; the name is the run's own (its namespace holds
    the run id, and preflight refused a namespace with credentials in it), and deleting one that was
    never made finds nothing. Any answer other than 200 unregisters it: it made nothing of ours. A
    create that answers "already exists" means the run's namespace is not its alone: the run stops,
    and nothing of that name is deleted.
    """

    def __init__(self, target: Target, namespace: Namespace, registry: cleanup.Registry) -> None:
        self.target, self.namespace, self.registry = target, namespace, registry
        self.mine: list[str] = []

    def __call__(self, label: str = "cred", *, username: str | None = None, **fields: Any) -> str:
        name = username or self.namespace.name(label)
        self._sending([name])
        self._created(name, self.target.client.create_credential(self.target.project, name, **fields))
        return name

    def all(self, usernames: list[str]) -> list[str]:
        """Create these at once (as far as --concurrency lets the client): independent deployments overlap."""
        client, project = self.target.client, self.target.project
        self._sending(usernames)
        responses = client.concurrently([functools.partial(client.create_credential, project, name)
                                         for name in usernames])
        # Every answer is settled before the first failure is raised: the register then holds exactly the
        # creates that succeeded (a failed create made nothing of ours to delete or report).
        failures = []
        for name, response in zip(usernames, responses, strict=True):
            try:
                self._created(name, response)
            except BaseException as failure:  # noqa: B036 - pytest.fail and pytest.exit are BaseExceptions
                failures.append(failure)
        if failures:
            raise failures[0]
        return usernames

    def _sending(self, usernames: list[str]) -> None:
        for name in usernames:
            assert self.namespace.owns(name), f"{name!r} is outside the run's namespace"
            self.registry.created(self.target.project, name)
            self.mine.append(name)

    def _created(self, name: str, response: requests.Response) -> None:
        if response.status_code == 200:
            return
        self.registry.forget(name)
        self.mine.remove(name)
        edition = self.target.edition
        said = edition.answered(response.status_code, _body(response))
        if said == rules.MISSING_PERMISSION:
            pytest.exit(f"apiops: creating a credential in {self.target.project!r} answered {response.status_code} "
                        f"{edition.message(_body(response))!r}: the token's user lacks the permission the run needs: "
                        f"{edition.permissions}; give the token's user that permission in the project (nothing was "
                        "created)", returncode=EXIT_USAGE)
        if said == rules.ALREADY_EXISTS or "already" in response.text.lower():
            pytest.exit(f"apiops: creating {name!r} answered that it already exists: the namespace "
                        f"{self.namespace.root!r} is not this run's alone (a reused APIOPS_RUN_ID?); nothing of it "
                        "is deleted", returncode=EXIT_USAGE)
        pytest.fail(f"set-up: creating credential {name!r}: {describe(response)}", pytrace=False)

    def clean_up(self, judge: Judge) -> None:
        """What is still registered: one a test saw deleted is not deleted again; one that fails stays
        registered, for the session's clean-up to try again and report. The deletions are checked by the
        session's clean-up, against one read of the list (cleanup.delete_registered)."""
        with judge.aside():
            cleanup.delete_registered(self.target.client, self.registry, self.mine)


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@pytest.fixture
def credential(target: Target, namespace: Namespace, judge: Judge,
               pytestconfig: pytest.Config) -> Iterator[Credentials]:
    """Throwaway credentials in the project; whatever survives the test is deleted after it."""
    credentials = Credentials(target, namespace, _run(pytestconfig).registry)
    yield credentials
    credentials.clean_up(judge)
