"""Tokens over a CI job's life (authentication.md, "Token Expiration", "Method 2"): a service account's tokens are
fetched, kept fresh and never shown; a token that stops being accepted mid-run is one verdict, not a wall of
failures."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from contracts import editions
from contracts.client import ApiClient
from contracts.gateway.server import GatewayServer
from contracts.naming import PREFIX, Namespace
from contracts.redaction import Secret
from contracts.settings import api_root
from contracts.tokens import ClientCredentials, TokenError
from tests.conftest import ROOT, TOKEN, RunSuite, live

CLIENT_ID, SECRET = "ci-service-account", "service-account-secret-4d9c2b7e11"


@pytest.fixture(params=editions.ids())
def service(request: pytest.FixtureRequest) -> Iterator[GatewayServer]:
    """A gateway whose service account's tokens live 2 s: a run of the suite outlives several of them."""
    with GatewayServer(token=TOKEN, edition=editions.get(request.param), service_accounts={CLIENT_ID: SECRET},
                       token_ttl=2) as server:
        yield server


def secrets_of(server: GatewayServer) -> list[str]:
    return [SECRET, *server.gateway.minted]


def test_a_service_account_run_outlives_its_tokens_green_and_shows_neither_secret_nor_token(
        service: GatewayServer, run_suite: RunSuite, tmp_path: Path) -> None:
    """The token is fetched before preflight and again before expires_in runs out; the run is green, leaves
    nothing, and neither the secret nor any minted token is in its output, report or recordings."""
    report, recordings = tmp_path / "report.json", tmp_path / "recordings"
    run = run_suite("contracts/scenarios", "contracts/properties", "--hypothesis-profile", "ci", "--deploy-ms", "0",
                    *live(service.url, "--api-proxy", "MyAPI", "--record", f"--recordings={recordings}"),
                    f"--report-json={report}", env={"APIOPS_CLIENT_ID": CLIENT_ID, "APIOPS_CLIENT_SECRET": SECRET})
    assert run.returncode == 0, run.output[-3000:]
    assert service.gateway.issued >= 2, f"one token served the whole run ({service.gateway.issued} issued)"
    assert [name for name in service.gateway.credentials if name.startswith(PREFIX)] == []
    written = [run.output, report.read_text(encoding="utf-8"),
               *(path.read_text(encoding="utf-8") for path in recordings.rglob("*.yaml"))]
    for secret in secrets_of(service):
        assert not any(secret in text for text in written), "a secret or a minted token was written"


def test_a_refused_service_account_token_is_fetched_again_and_the_request_sent_again_once(
        service: GatewayServer) -> None:
    """A refused-token 401 (the token revoked before its expires_in) fetches a new one; the request goes again."""
    source = ClientCredentials(service.url, CLIENT_ID, Secret(SECRET))
    client = ApiClient(api_root(service.url), source, Namespace("tokens1"), projects={"MyProject"})
    assert client.list_credentials("MyProject").status_code == 200
    service.gateway.minted.clear()  # revoked
    assert client.list_credentials("MyProject").status_code == 200
    assert service.gateway.issued == 2


def test_a_wrong_client_secret_is_one_line_at_preflight(service: GatewayServer, run_suite: RunSuite) -> None:
    run = run_suite("contracts/scenarios", *live(service.url),
                    env={"APIOPS_CLIENT_ID": CLIENT_ID, "APIOPS_CLIENT_SECRET": "not-the-secret-at-all"})
    assert run.returncode == 4, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.startswith("apiops:")]
    assert len(lines) == 1 and "was refused" in lines[0] and "Traceback" not in run.output, run.output[-3000:]
    assert "not-the-secret-at-all" not in run.output


def test_the_token_client_says_which_credentials_were_refused_never_the_secret(service: GatewayServer) -> None:
    with pytest.raises(TokenError) as refused:
        ClientCredentials(service.url, CLIENT_ID, Secret("wrong-secret-value-123")).current()
    assert CLIENT_ID in str(refused.value) and "wrong-secret-value-123" not in str(refused.value)


# -- a token that expires mid-run ---------------------------------------------------------------------------
def test_a_token_that_expires_mid_run_is_one_verdict_blaming_no_rule_and_listing_what_is_left(
        run_suite: RunSuite, tmp_path: Path) -> None:
    """Exit 4, one line naming when and why; no rule failed; every credential the gateway still holds is listed,
    as created and not checked, with the clean-up command."""
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    with GatewayServer(token=TOKEN, token_uses=90) as server:
        run = run_suite("contracts/scenarios", "contracts/properties", "--hypothesis-profile", "ci", "-p",
                        "no:randomly", *live(server.url, "--api-proxy", "MyAPI"), f"--report-json={report}",
                        f"--junitxml={junit}", env={"APIOPS_TOKEN": TOKEN})
        left = sorted(name for name in server.gateway.credentials if name.startswith(PREFIX))
    assert run.returncode == 4, run.output[-3000:]
    verdicts = [line for line in run.output.splitlines() if "stopped being accepted" in line]
    assert len(verdicts) == 1 and "expired or was revoked" in verdicts[0], run.output[-3000:]
    assert len(run.output.splitlines()) < 80, run.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert [rule["id"] for rule in document["rules"] if rule["outcome"] == "failed"] == []
    # The stop is in CI's test tab (one errored case, after the tests that ran) and at the top of the report.
    errors = [(case.get("name"), error.get("message", "")) for case in ElementTree.parse(junit).iter("testcase")
              for error in case.iter("error")]
    assert len(errors) == 1 and errors[0][0] == "the run stopped" and "stopped being accepted" in errors[0][1], errors
    assert "stopped being accepted" in document["stopped"]["reason"]
    listed = sorted(item["username"] for item in document["leftovers"])
    assert listed == left, (listed, left)
    assert left, "the token expired after the last create: nothing shows the list"
    assert "python -m contracts.cleanup --run-id" in run.output and "<run id>" not in run.output


def test_the_cleanup_command_takes_the_service_accounts_variables(service: GatewayServer) -> None:
    """python -m contracts.cleanup reads APIOPS_CLIENT_ID and APIOPS_CLIENT_SECRET as the suite does."""
    service.gateway.add_credential("MyProject", "apiops-ct-svcacct1-cred-1")
    env = {"PATH": "/usr/bin:/bin", "APIOPS_CLIENT_ID": CLIENT_ID, "APIOPS_CLIENT_SECRET": SECRET}
    done = subprocess.run([sys.executable, "-m", "contracts.cleanup", "--run-id", "svcacct1", "--base-url", service.url,
                           "--project", "MyProject", "--yes"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "apiops-ct-svcacct1-cred-1" not in service.gateway.credentials
    assert SECRET not in done.stdout + done.stderr
