"""The suite through a real nginx (Debian's nginx-light) in front of the reference gateway, as a staging Manager
is reached: TLS from a private CA (trustme, passed in REQUESTS_CA_BUNDLE), ``limit_req`` 10 r/s burst 5
answering 429, nginx's default method policy (docs/proxies.md). Needs nginx: without it these fail."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts.gateway.server import GatewayServer
from contracts.naming import PREFIX
from tests import proxy
from tests.conftest import TOKEN, RunSuite, live

SUITE = "contracts/scenarios"


@dataclass
class Staging:
    gateway: GatewayServer
    nginx: proxy.Proxy

    def env(self, **extra: str) -> dict[str, str]:
        return {"APIOPS_TOKEN": TOKEN, "REQUESTS_CA_BUNDLE": self.nginx.ca_bundle, **extra}

    def left(self) -> list[str]:
        """The suite's credentials the gateway still lists, read past the proxy."""
        answer = requests.get(f"{self.gateway.api_url}/projects/MyProject/credentials/", timeout=10,
                              headers={"Authorization": f"Bearer {TOKEN}"})
        return [item["username"] for item in answer.json()["resultList"] if item["username"].startswith(PREFIX)]

    def limited(self) -> int:
        """How many requests nginx answered 429 so far (its error log names each at warn level)."""
        return self.nginx.log().count("limiting requests")


def staging(directory: Path, *faults: str) -> Iterator[Staging]:
    gateway = GatewayServer(token=TOKEN, faults=list(faults)).start()
    try:
        nginx = proxy.start(directory, gateway.url)
    except BaseException:
        gateway.stop()
        raise
    try:
        yield Staging(gateway, nginx)
    finally:
        nginx.stop()
        gateway.stop()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staging]:
    yield from staging(tmp_path_factory.mktemp("nginx"))


def test_nginx_is_there_for_these_self_tests() -> None:
    """A self-test that needs nginx fails without it: .ci/run installs it."""
    assert os.access(proxy.nginx(), os.X_OK)


def test_without_nginx_a_self_test_that_needs_it_fails_rather_than_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proxy.shutil, "which", lambda name: None)
    monkeypatch.setattr(proxy.os, "access", lambda path, mode: False)
    with pytest.raises(pytest.fail.Exception, match="nginx is not installed: .ci/run installs it"):
        proxy.nginx()


@pytest.mark.long
def test_a_clean_gateway_behind_nginx_is_green_through_its_rate_limit_and_leaves_nothing(
    run_suite: RunSuite, clean: Staging
) -> None:
    """The default run (scenarios and property tests): a 429 is waited out and sent again (RFC 6585), the
    clean-up gets through the limit too, and nginx's own 405 to TRACE is the proxy's, not a Manager's failure
    of undeclared-methods-are-not-allowed."""
    before = clean.limited()
    run = run_suite(*live(clean.nginx.url, "--api-proxy", "MyAPI"), env=clean.env())
    assert run.returncode == 0, run.output[-3000:]
    assert clean.limited() > before, "nginx never limited the run: the test proves nothing"
    assert clean.left() == []
    assert "left behind" not in run.output
    section = run.output.partition("answered by the infrastructure, not the Manager")[2]
    assert "(nginx/1.22.1) answers TRACE itself (405 with an HTML page, no Allow)" in section, run.output[-3000:]


def test_a_proxy_certificate_from_an_untrusted_ca_ends_the_run_at_preflight_in_one_line(
    run_suite: RunSuite, clean: Staging
) -> None:
    env = {name: value for name, value in clean.env().items() if name != "REQUESTS_CA_BUNDLE"}
    run = run_suite(SUITE, *live(clean.nginx.url), env=env)
    assert run.returncode == 4, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.startswith("apiops:")]
    assert len(lines) == 1 and "TLS verification failed (set REQUESTS_CA_BUNDLE" in lines[0], run.output[-3000:]


def test_a_faulty_gateway_behind_nginx_still_fails_on_the_faults_rule(
    run_suite: RunSuite, tmp_path: Path
) -> None:
    """The fault delete-not-done (answers 200, keeps the credential) breaks deletion-is-permanent."""
    for faulty in staging(tmp_path / "nginx", "delete-not-done"):
        run = run_suite(SUITE, *live(faulty.nginx.url), "-k", "second_delete", env=faulty.env())
    assert run.returncode == 1, run.output[-3000:]
    assert "[deletion-is-permanent]" in run.output, run.output[-3000:]


def test_a_manager_down_behind_nginx_ends_the_run_at_preflight_in_one_line_saying_so(
    run_suite: RunSuite, tmp_path: Path
) -> None:
    for down in staging(tmp_path / "nginx"):
        down.gateway.stop()
        run = run_suite(SUITE, *live(down.nginx.url), env=down.env())
    assert run.returncode == 4, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.startswith("apiops:")]
    assert len(lines) == 1 and "answered 502 with an HTML page from nginx/1.22.1" in lines[0] \
        and "the Manager behind it is down or unreachable" in lines[0], run.output[-3000:]
    assert "Traceback" not in run.output and "passed" not in run.output


def test_a_manager_that_goes_down_mid_run_gets_one_verdict_naming_it(run_suite: RunSuite, tmp_path: Path) -> None:
    """Like schemathesis' "server unavailable": one verdict for the cause, not a failure per test; the summary
    says the credential list could not be read, and shows the registered names as an upper bound."""
    gateway = GatewayServer(token=TOKEN).start()
    switch = proxy.Switch(gateway.port)
    nginx = proxy.start(tmp_path / "nginx", switch.url)
    model, create = gateway.gateway, gateway.gateway.create_credential

    def then_down(project: str, body: object) -> dict[str, Any]:
        answer = create(project, body)
        if isinstance(body, dict) and "no-neighbour" in str(body.get("username")):  # neighbours made, none deleted
            switch.down.set()  # the Manager goes away behind nginx, which stays
        return answer

    model.create_credential = then_down  # type: ignore[method-assign]
    try:
        # It never comes back: the clean-up waits 2 s for it (--cleanup-wait), then says what it could not check.
        run = run_suite(SUITE, *live(nginx.url), "-p", "no:randomly",
                        env={"APIOPS_TOKEN": TOKEN, "REQUESTS_CA_BUNDLE": nginx.ca_bundle, "APIOPS_CLEANUP_WAIT": "2"})
        still_there = [name for name in model.usernames("MyProject") if name.startswith(PREFIX)]
    finally:
        nginx.stop()
        switch.close()
        gateway.stop()
    assert run.returncode == 4, run.output[-3000:]
    verdict = [line for line in run.output.splitlines() if "the run stops here" in line]
    assert len(verdict) == 1 and verdict[0].startswith("apiops: ") and \
        "the Manager behind it is down or unreachable" in verdict[0], run.output[-3000:]
    assert not re.search(r"\b\d+ failed", run.output), run.output[-3000:]  # not a failure per test
    section = run.output.partition("credentials left behind")[2]
    assert "could not be read" in section and "upper bound" in section, run.output[-3000:]
    assert "did not answer again within the clean-up's wait of 2 s" in run.output, run.output[-3000:]
    assert still_there and all(f"MyProject/{name}" in section for name in still_there), section
