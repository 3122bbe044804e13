"""On a shared gateway the suite deletes only what it created, cleans up after failures and interrupts,
and the token shows up nowhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from contracts.naming import PREFIX
from tests.conftest import ROOT, TOKEN, RunSuite, live

SUITE = "contracts/scenarios"
Everyone = dict[str, list[str]]


def credentials_of_every_project(url: str) -> Everyone:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    projects = requests.get(f"{url}/apiops/projects/", headers=headers, timeout=10).json()["resultList"]
    return {
        project["name"]: sorted(
            item["username"]
            for item in requests.get(f"{url}/apiops/projects/{project['name']}/credentials/", headers=headers,
                                     timeout=10).json()["resultList"]
        )
        for project in projects
    }


def test_a_live_run_leaves_every_existing_credential_intact_and_nothing_of_its_own(
    run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    url = gateway_factory()
    before = credentials_of_every_project(url)
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 0, run.output[-2000:]
    assert credentials_of_every_project(url) == before


def test_a_failing_live_run_still_cleans_up_after_itself(
    run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    # Deleting works on this gateway, but every success scenario fails on its undeployment result.
    url = gateway_factory("incomplete-undeployment")
    before = credentials_of_every_project(url)
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-2000:]
    assert credentials_of_every_project(url) == before


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_live_run_deletes_what_it_created(how: signal.Signals) -> None:
    from contracts.gateway.server import GatewayServer

    with GatewayServer(token=TOKEN) as server:
        # Listing takes a second, so the run is stopped while a credential of its own exists and no
        # DELETE is in flight that would remove it anyway.
        model = server.gateway
        list_now = model.list_credentials

        def list_slowly(project: str) -> dict:
            time.sleep(1)
            return list_now(project)

        model.list_credentials = list_slowly  # type: ignore[method-assign]
        before = credentials_of_every_project(server.url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("APIOPS_")} | {"APIOPS_TOKEN": TOKEN}
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", SUITE, *live(server.url)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(name.startswith(PREFIX) for name in model.credentials):
            time.sleep(0.02)
        assert any(name.startswith(PREFIX) for name in model.credentials), "the run created nothing"
        process.send_signal(how)
        output, _ = process.communicate(timeout=120)
        assert process.returncode != 0, output[-2000:]  # it was interrupted, not finished
        assert credentials_of_every_project(server.url) == before, output[-2000:]


def test_the_token_appears_nowhere_even_when_tests_fail_verbosely(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    url = gateway_factory("token-echo-body", "token-echo-header", "status-204")
    junit = tmp_path / "junit.xml"
    run = run_suite(SUITE, *live(url, "--api-proxy", "MyAPI"), "-v", "-l", "-rA", "--log-level=DEBUG",
                    f"--junitxml={junit}", env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-2000:]
    assert "failed" in run.output
    assert TOKEN not in run.output
    assert TOKEN not in junit.read_text(encoding="utf-8")
