"""The pytest plugin: options, the session's target, fixtures, preflight and secret hygiene.

Wired by the root ``conftest.py``. A session opens its target only when a collected test asks
for one, so the project's own tests (``tests/``) never start a gateway or run a preflight.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts import drift, recording
from contracts import settings as settings_module
from contracts.client import ApiClient, GatewayUnreachable
from contracts.naming import Namespace
from contracts.properties import configure_hypothesis
from contracts.secrets import redact
from contracts.spec import Contract, SpecError, load, spec_path
from contracts.targets import PreflightError, Target, open_target, preflight, recording_meta

TARGET_KEY = pytest.StashKey[Target]()
CREATED_KEY = pytest.StashKey[dict[str, str]]()  # username -> project, for end-of-session clean-up
DRIFT_KEY = pytest.StashKey[str]()  # the drift report of a --baseline run


def pytest_addoption(parser: pytest.Parser) -> None:
    settings_module.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Before pytest-base-url fills the option from its ini value: CLI > env > ini.
    if not config.getoption("base_url", default=None) and os.environ.get("APIOPS_BASE_URL"):
        config.option.base_url = os.environ["APIOPS_BASE_URL"]
    config.addinivalue_line("markers", "contract(rule): the rule of the docs a test verifies")
    config.stash[CREATED_KEY] = {}
    configure_hypothesis(config)  # before hypothesis' own pytest_configure loads --hypothesis-profile
    _redact_log_records()


def pytest_report_header(config: pytest.Config) -> str:
    target = config.getoption("apiops_target") or os.environ.get("APIOPS_TARGET") or "(default)"
    return f"apiops target: {target}; contract: {spec_path()}"


def _uses_target(items: list[pytest.Item]) -> bool:
    return any("target" in getattr(item, "fixturenames", ()) for item in items)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if not _uses_target(session.items) or config.option.collectonly:
        return
    _open(config)


def _open(config: pytest.Config) -> Target:
    if TARGET_KEY in config.stash:
        return config.stash[TARGET_KEY]
    try:
        load()  # an invalid contract is one clear error, before anything is sent
        resolved = _with_baseline(settings_module.resolve(config))
        target = open_target(resolved)
    except (settings_module.SettingsError, SpecError, recording.RecordingError, PreflightError) as exc:
        pytest.exit(f"apiops: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    config.stash[TARGET_KEY] = target
    try:
        preflight(target)
    except PreflightError as exc:
        target.close()
        del config.stash[TARGET_KEY]
        pytest.exit(f"apiops: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    if target.settings.record:
        recording.write_meta(target.recordings, recording_meta(target))
    _stop_cleanly_on_sigterm()
    return target


def _with_baseline(resolved: settings_module.Settings) -> settings_module.Settings:
    """``--baseline DIR``: check DIR now, and make sure this run is recorded, to compare at the end."""
    if not resolved.baseline:
        return resolved
    if resolved.target == "stub":
        raise settings_module.SettingsError("--baseline compares a live or local run: a replay has nothing new")
    drift.check_baseline(Path(resolved.baseline))
    if resolved.record:
        return resolved
    return dataclasses.replace(resolved, record=True, recordings=tempfile.mkdtemp(prefix="apiops-run-"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.stash.get(TARGET_KEY, None)
    if target is None:
        return
    try:
        if target.kind != "stub":  # a replay created nothing real
            _clean_up(target, session.config.stash[CREATED_KEY])
    finally:
        target.close()
    if target.settings.baseline:
        text, breaking = drift.summarise_for_terminal(
            Path(target.settings.baseline), target.recordings, selected={item.nodeid for item in session.items}
        )
        session.config.stash[DRIFT_KEY] = text
        if breaking and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    text = config.stash.get(DRIFT_KEY, None)
    if text:
        terminalreporter.section("drift against the baseline")
        terminalreporter.write_line(text)


def _clean_up(target: Target, created: dict[str, str]) -> None:
    """Delete what this run created and still exists: the last line of defence after a crash."""
    for username, project in list(created.items()):
        try:
            target.client.delete_credential(project, username)
        except GatewayUnreachable:
            break
        created.pop(username, None)


def _stop_cleanly_on_sigterm() -> None:
    # CI cancels a job with SIGTERM: turn it into KeyboardInterrupt so that fixtures tear down and
    # the session's clean-up runs, as on Ctrl-C.
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # Not the main thread (e.g. an embedding runner): keep its handler.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, interrupt)


# -- secret hygiene -------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Scrub the token from failure text and captured output before any reporter sees them."""
    report: pytest.TestReport = yield
    if report.longrepr is not None:
        text = str(report.longrepr)
        cleaned = redact(text)
        if cleaned != text:
            report.longrepr = cleaned
    report.sections = [(name, redact(content)) for name, content in report.sections]
    return report


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


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The gateway under test, opened (and preflighted) once per session."""
    return _open(pytestconfig)


@pytest.fixture(scope="session")
def client(target: Target) -> ApiClient:
    return target.client


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load()


@pytest.fixture(autouse=True)
def recorded_exchanges(request: pytest.FixtureRequest) -> Iterator[recording.Recording | None]:
    """Per test: replay its recording (stub), or record its exchanges (--record), or stay out."""
    if "target" not in request.fixturenames:
        yield None
        return
    target: Target = request.getfixturevalue("target")
    nodeid = request.node.nodeid
    if target.kind == "stub":
        try:
            recorded = recording.read(target.recordings, nodeid)
        except recording.RecordingError as exc:
            # An error, never a skip: an unrecorded scenario is an unchecked rule.
            pytest.fail(str(exc), pytrace=False)
        hooks = target.client.session.hooks["response"]
        hooks.append(recording.restore_elapsed)
        try:
            with recording.replay(recorded, target.api_url):
                yield recorded
        finally:
            hooks.remove(recording.restore_elapsed)
    elif target.settings.record:
        recorder = recording.Recorder(target.api_url)
        hooks = target.client.session.hooks["response"]
        hooks.append(recorder)
        try:
            yield None
        finally:
            hooks.remove(recorder)
            root = target.namespace.scoped(nodeid).root
            recording.write(target.recordings, recording.Recording(nodeid, root, recorder.interactions))
    else:
        yield None


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


@pytest.fixture
def credential(
    target: Target, namespace: Namespace, pytestconfig: pytest.Config
) -> Iterator[Callable[..., str]]:
    """Create a throwaway credential in the project; whatever survives the test is deleted after it.

    create-credential.md: usernames are unique across all credentials, so a name under the run's
    reserved prefix can only ever be one of ours.
    """
    created = pytestconfig.stash[CREATED_KEY]
    mine: list[str] = []

    def create(label: str = "cred", *, username: str | None = None, **fields: Any) -> str:
        name = username or namespace.name(label)
        assert namespace.owns(name), f"{name!r} is outside the run's namespace"
        created[name] = target.project  # before the call: an interrupted create is cleaned up too
        mine.append(name)
        response = target.client.create_credential(target.project, name, **fields)
        if response.status_code != 200:
            pytest.fail(f"set-up: creating credential {name!r} answered {response.status_code}: "
                        f"{redact(response.text[:200])}", pytrace=False)
        return name

    yield create
    for name in mine:
        response = target.client.delete_credential(target.project, name)
        if response.status_code in (200, 400):  # deleted now, or already gone
            created.pop(name, None)
