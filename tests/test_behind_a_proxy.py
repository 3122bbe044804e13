"""The suite through a real nginx (Debian's nginx-light) in front of the reference gateway, as a staging Manager
is reached: TLS from a private CA (trustme, passed in REQUESTS_CA_BUNDLE), ``limit_req`` 10 r/s burst 5
answering 429, nginx's default method policy (README: Behind a proxy). Needs nginx: without it these fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def test_through_a_rate_limit_every_scenario_passes_and_the_clean_up_leaves_nothing(
    run_suite: RunSuite, clean: Staging
) -> None:
    """A 429 is waited out and sent again (RFC 6585); the clean-up gets through the limit too."""
    before = clean.limited()
    run = run_suite(SUITE, *live(clean.nginx.url, "--api-proxy", "MyAPI"), env=clean.env())
    assert run.returncode == 0, run.output[-3000:]
    assert clean.limited() > before, "nginx never limited the run: the test proves nothing"
    assert clean.left() == []
    assert "left behind" not in run.output
