"""The property tests are safe on a shared live gateway, keep the token secret, and replay exactly.

Each test runs ``contracts/properties`` as a user would (a subprocess) against a reference gateway
whose wire traffic it logs: which paths were requested, which usernames were created.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from contracts.gateway.model import ApiError
from contracts.gateway.server import GatewayServer
from contracts.naming import PREFIX
from contracts.properties import has_dot_segment
from tests.conftest import ROOT, TOKEN, RunSuite, live

PROPERTIES = "contracts/properties"
PROJECT = "MyProject"
# Short and common names a real project may well hold; a generated name could easily be one of them.
SEEDED = ("a", "0", "admin", "test")
CREDENTIAL_PATH = re.compile(r"^/apiops/projects/(?P<project>[^/]+)/credentials/(?P<username>[^/]+)/")


@dataclass
class Traffic:
    """What reached the gateway: each request line, and each username a create asked for."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)  # creates refused because the username existed

    def credential_targets(self) -> list[tuple[str, str, str]]:
        """(method, project, username) of every request to one credential's path, decoded."""
        targets = []
        for method, path in self.requests:
            match = CREDENTIAL_PATH.match(path)
            if match:
                targets.append((method, unquote(match["project"]), unquote(match["username"])))
        return targets


class LogRequests:
    """ASGI middleware: the method and raw path of every request."""

    def __init__(self, app: Any, traffic: Traffic) -> None:
        self.app, self.traffic = app, traffic

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
            self.traffic.requests.append((scope["method"], raw))
        await self.app(scope, receive, send)


@pytest.fixture
def logged_gateway() -> Iterator[tuple[GatewayServer, Traffic]]:
    """A reference gateway holding the seeded credentials too, with its traffic logged."""
    traffic = Traffic()
    server = GatewayServer(token=TOKEN)
    server.app.add_middleware(LogRequests, traffic=traffic)  # before start: Starlette builds its stack then
    model = server.gateway
    create = model.create_credential

    def logged_create(project: str, body: object) -> dict[str, Any]:
        username = str(body.get("username")) if isinstance(body, dict) else ""
        traffic.created.append(username)
        try:
            return create(project, body)
        except ApiError as exc:
            if "already" in exc.description:
                traffic.taken.append(username)
            raise

    model.create_credential = logged_create  # type: ignore[method-assign]
    for name in SEEDED:
        model.add_credential(PROJECT, name)
    with server:
        yield server, traffic


def everyone(server: GatewayServer) -> dict[str, list[str]]:
    model = server.gateway
    return {name: sorted(model.usernames(name)) for name in model.projects}


def test_a_live_property_run_touches_nothing_outside_its_namespace_and_leaves_seeded_names_intact(
    run_suite: RunSuite, logged_gateway: tuple[GatewayServer, Traffic]
) -> None:
    """docs/safety.md: generated names are rewritten into the run's namespace."""
    server, traffic = logged_gateway
    before = everyone(server)
    run_id = "propsafety1"
    run = run_suite(PROPERTIES, *live(server.url), "--hypothesis-profile", "ci",
                    env={"APIOPS_TOKEN": TOKEN, "APIOPS_RUN_ID": run_id})
    assert run.returncode == 0, run.output[-3000:]
    assert set(SEEDED) <= set(server.gateway.usernames(PROJECT)), "a seeded credential was deleted"
    assert everyone(server) == before, "the run changed credentials it did not create, or left its own behind"

    root = f"{PREFIX}{run_id}-"
    targets = traffic.credential_targets()
    assert {method for method, _, _ in targets} >= {"DELETE", "GET", "PUT", "POST"}, "the run did not probe methods"
    assert len(targets) > 50, f"only {len(targets)} requests reached a credential path"
    def ours(name: str) -> bool:  # under the root, and no proxy that decodes "/" could climb out of it
        return name.startswith(root) and not has_dot_segment(name)

    outside = [(method, project, username) for method, project, username in targets
               if not ours(username) or (project != PROJECT and not ours(project))]
    assert not outside, f"requests outside the namespace {root!r}: {outside[:5]}"
    assert traffic.created and all(name.startswith(root) for name in traffic.created), traffic.created[:5]


def test_two_xdist_workers_on_one_live_gateway_never_share_a_name(
    run_suite: RunSuite, logged_gateway: tuple[GatewayServer, Traffic]
) -> None:
    """docs/safety.md: the namespace includes the xdist worker id."""
    server, traffic = logged_gateway
    before = everyone(server)
    run_id = "propsafety2"
    # The whole suite on two workers, one test file each (--dist loadfile), so that both create
    # credentials at the same time; plain load scheduling may hand every creating test to one worker.
    run = run_suite("-n", "2", "--dist", "loadfile", *live(server.url, "--api-proxy", "MyAPI"),
                    env={"APIOPS_TOKEN": TOKEN, "APIOPS_RUN_ID": run_id})
    assert run.returncode == 0, run.output[-3000:]
    assert everyone(server) == before

    root = f"{PREFIX}{run_id}-"
    by_worker: dict[str, set[str]] = {}
    for name in traffic.created:
        worker = name[len(root):].split("-", 1)[0]
        by_worker.setdefault(worker, set()).add(name)
    assert set(by_worker) == {"gw0", "gw1"}, f"names by worker prefix: {sorted(by_worker)}"
    assert not by_worker["gw0"] & by_worker["gw1"]
    assert not traffic.taken, f"creates refused as the name was taken: {traffic.taken[:5]}"


def test_the_token_appears_in_no_output_or_file_of_a_failing_property_run(
    run_suite: RunSuite, tmp_path: Path
) -> None:
    """authentication.md, Token Security: a gateway that echoes the token fails the run, which never shows it."""
    with GatewayServer(token=TOKEN, faults=["token-echo-header", "token-echo-body"]) as server:
        junit, recordings = tmp_path / "junit.xml", tmp_path / "recordings"
        run = run_suite(PROPERTIES, *live(server.url), "-v", "-l", "-rA", "--log-level=DEBUG",
                        f"--junitxml={junit}", "--record", "--recordings", str(recordings),
                        env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-3000:]
    assert "no-answer-carries-the-token" in run.output
    # The failure's command that sends the request again names the token only as $APIOPS_TOKEN.
    assert "again:    curl -sS" in run.output and "how to replay this failure" in run.output, run.output[-3000:]
    assert TOKEN not in run.output
    written = [junit, *(path for path in recordings.rglob("*") if path.is_file())]
    assert all(TOKEN not in path.read_text(encoding="utf-8") for path in written)


# A replay must send every recorded request: the mock fails the test when one is left unsent.
ALL_SENT = """
import sys, pytest
from contracts import recording
replay = recording.replay
def strict(recorded, api_url=recording.STUB_API_URL):
    mock = replay(recorded, api_url)
    mock.assert_all_requests_are_fired = True
    return mock
recording.replay = strict
sys.exit(pytest.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("fault", [None, "error-renamed"], ids=["clean", "error-renamed"])
def test_a_replay_sends_exactly_the_recorded_requests_and_judges_them_alike(
    fault: str | None, run_suite: RunSuite, tmp_path: Path
) -> None:
    """docs/recordings.md: --target stub replays each test's exchanges in order; the rules are judged again."""
    with GatewayServer(token=TOKEN, faults=[fault] if fault else []) as server:
        recorded = run_suite(PROPERTIES, *live(server.url, "--record", "--recordings", str(tmp_path)), "-rf",
                             env={"APIOPS_TOKEN": TOKEN})
    command = [sys.executable, "-c", ALL_SENT, PROPERTIES, "-q", "-rf", "-p", "no:cacheprovider",
               "--target", "stub", "--recordings", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    replayed = done.stdout + done.stderr
    assert "Not all requests have been executed" not in replayed, replayed[-3000:]
    assert recorded.returncode == done.returncode == (1 if fault else 0), recorded.output[-2000:] + replayed[-2000:]
    # FAILED [the rules it broke] <node id>
    failed = re.compile(r"^(?:SUB)?FAILED (?:\[[^\]]*\] )?(\S+?)(?: - .*)?$", re.MULTILINE)
    assert set(failed.findall(replayed)) == set(failed.findall(recorded.output))
