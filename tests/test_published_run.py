"""The gateway's published description (openapi-spec.md) in a run: compared, reported, recorded, drifted.

contracts/published/ compares two documents (tests/test_published_spec.py); these tests run the
contract suite against reference gateways whose ``/apiops/openapi.yaml`` is absent, unreadable or
says otherwise than openapi.yaml, and compare two recordings with ``python -m contracts.drift``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts import editions, rules
from contracts.gateway.model import Gateway
from contracts.gateway.server import ServerThread, create_app
from contracts.recording import PUBLISHED_FILE
from tests.conftest import ROOT, TOKEN, RunSuite, live

# One scenario is enough: the description is fetched once per run, whatever runs.
ONE_TEST = ("contracts/scenarios", "-k", "deleting_an_existing_credential_answers_success")


def answering(app: ASGIApp, status: int, body: bytes) -> ASGIApp:
    """``app``, except that its published description is replaced by ``status`` and ``body``."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/apiops/openapi."):
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapped


@pytest.fixture
def odd_gateway() -> Iterator[Callable[[int, bytes], str]]:
    servers: list[ServerThread] = []

    def start(status: int, body: bytes) -> str:
        server = ServerThread(answering(create_app(Gateway(TOKEN)), status, body))
        server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def run_once(run_suite: RunSuite, url: str, tmp_path: Path, *more: str) -> tuple[int, str, dict[str, object]]:
    report = tmp_path / "report.json"
    run = run_suite(*ONE_TEST, *live(url), f"--report-json={report}", *more, env={"APIOPS_TOKEN": TOKEN})
    document = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return run.returncode, run.output, document


def test_a_gateway_that_publishes_no_description_is_said_in_one_line_and_fails_nothing(
    run_suite: RunSuite, odd_gateway: Callable[[int, bytes], str], tmp_path: Path
) -> None:
    """openapi-spec.md: a Manager publishes its description; one that does not is information, not a failure."""
    returncode, output, report = run_once(run_suite, odd_gateway(404, b"not here"), tmp_path)
    assert returncode == 0, output[-3000:]
    assert len([line for line in output.splitlines() if "not compared: absent" in line]) == 1, output
    assert "answered 404" in output
    assert "note" in report["published_spec"]  # type: ignore[operator]


def test_an_unreadable_published_description_is_a_note_even_under_strict(
    run_suite: RunSuite, odd_gateway: Callable[[int, bytes], str], tmp_path: Path
) -> None:
    """Strict fails on a description that breaks openapi.yaml, not on one that cannot be read."""
    returncode, output, _ = run_once(run_suite, odd_gateway(200, b"{not: [yaml"), tmp_path,
                                     "--published-spec", "strict")
    assert returncode == 0, output[-3000:]
    assert "not compared: unreadable" in output and "Traceback" not in output


def test_a_published_description_that_drops_a_documented_status_fails_only_under_strict(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    """The gateway's description without the missing-credential answer breaks clients of openapi.yaml."""
    url = gateway_factory("published-spec-says-otherwise")
    returncode, output, report = run_once(run_suite, url, tmp_path / "report")
    assert returncode == 0, output[-3000:]
    assert f"BREAKING   responses.{editions.base().answer(rules.MISSING_CREDENTIAL).status}" in output
    assert report["published_spec"]["has_breaking"]  # type: ignore[index]
    returncode, output, _ = run_once(run_suite, url, tmp_path / "strict", "--published-spec", "strict")
    assert returncode == 1 and "the run fails: the gateway's published description breaks" in output, output


def test_off_neither_fetches_nor_reports_the_published_description(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    returncode, output, report = run_once(run_suite, gateway_factory("published-spec-says-otherwise"), tmp_path,
                                          "--published-spec", "off")
    assert returncode == 0, output[-3000:]
    assert "published description" not in output
    assert report["published_spec"] == {"note": "not compared"}


def record(run_suite: RunSuite, url: str, recordings: Path) -> None:
    run = run_suite(*ONE_TEST, *live(url, "--record", "--recordings", str(recordings)), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 0, run.output[-3000:]
    assert (recordings / PUBLISHED_FILE).is_file()


def drift(before: Path, after: Path) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "contracts.drift", str(before), str(after)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def test_drift_reports_a_published_description_that_an_upgrade_broke_and_nothing_when_it_did_not(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    """Before and after an upgrade: the recorded descriptions are compared too, each against openapi.yaml."""
    before, same, after = tmp_path / "before", tmp_path / "same", tmp_path / "after"
    record(run_suite, gateway_factory(), before)
    record(run_suite, gateway_factory(), same)
    record(run_suite, gateway_factory("published-spec-says-otherwise"), after)
    returncode, output = drift(before, same)
    assert returncode == 0 and "published description" not in output and "no drift" in output, output
    returncode, output = drift(before, after)
    assert returncode == 1, output
    assert f"published responses.{editions.base().answer(rules.MISSING_CREDENTIAL).status}" in output
    assert "gateway's published description" in output
    returncode, output = drift(after, before)  # the reverse: the description came back, a fix
    assert returncode == 0 and "no longer" in output, output
