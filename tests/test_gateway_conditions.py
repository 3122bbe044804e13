"""The reference gateway can live (contracts/gateway/conditions.py, issue 28): each condition of a shared staging
Manager, off by default, observably does what it says, over real HTTP.

Short intervals and lags keep each test to a second or two; the conditions' own clocks are the server's
(time.monotonic), so the tests wait with margins rather than to the millisecond.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from contracts import editions, rules
from contracts.gateway.__main__ import main as gateway_main
from contracts.gateway.conditions import Conditions, caseless
from contracts.gateway.server import GatewayServer
from tests.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROJECT = "MyProject"
CREDENTIALS = f"/apiops/projects/{PROJECT}/credentials/"
ACCESS = {"credentialAccessList": [{"name": "MyAPI", "type": "API_PROXY"}]}


class Client:
    """requests against one GatewayServer, never following a redirect."""

    def __init__(self, server: GatewayServer) -> None:
        self.url = server.url
        self.session = requests.Session()

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path,
                                    **{"allow_redirects": False, "timeout": 5, "headers": AUTH, **kwargs})

    def listed(self) -> list[str]:
        response = self("GET", CREDENTIALS)
        assert response.status_code == 200, response.text
        return [item["username"] for item in response.json()["resultList"]]

    def create(self, username: str) -> requests.Response:
        return self("POST", CREDENTIALS, json={"username": username, "password": "Secret-Password-1!",
                                               "fullName": "Some One", "email": "some.one@example.com"})

    def delete(self, username: str) -> requests.Response:
        return self("DELETE", f"{CREDENTIALS}{quote(username, safe='')}/")

    def access(self, username: str, method: str = "GET", **kwargs: Any) -> requests.Response:
        return self(method, f"{CREDENTIALS}{quote(username, safe='')}/access/", **kwargs)


@pytest.fixture
def living() -> Iterator[Callable[..., tuple[GatewayServer, Client]]]:
    servers: list[GatewayServer] = []

    def start(edition: str | None = None, **conditions: Any) -> tuple[GatewayServer, Client]:
        server = GatewayServer(token=TOKEN, conditions=Conditions(**conditions),
                               edition=editions.get(edition) if edition else None).start()
        servers.append(server)
        return server, Client(server)

    yield start
    for server in servers:
        server.stop()


def missing(response: requests.Response, edition: editions.Edition) -> bool:
    return edition.answered(response.status_code, response.json()) == rules.MISSING_CREDENTIAL


# -- another writer ---------------------------------------------------------------------------------------------
def test_another_writer_creates_its_own_credentials_and_deletes_its_older_ones(living: Callable[..., Any]) -> None:
    server, client = living(writer=True, writer_interval=0.05)
    seen: set[str] = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and "team-x-00006" not in seen:
        seen.update(name for name in client.listed() if name.startswith("team-x-"))
        time.sleep(0.02)
    assert {"team-x-00001", "team-x-00002", "team-x-00006"} <= seen
    now = [name for name in client.listed() if name.startswith("team-x-")]
    assert "team-x-00001" not in now and 1 <= len(now) <= 3, now  # it deletes its older ones
    assert {"api-user", "admin-user"} <= set(client.listed())  # and nothing else
    server.stop()
    stopped = sorted(server.gateway.credentials)
    time.sleep(0.2)
    assert sorted(server.gateway.credentials) == stopped  # stopped with the server


def test_without_the_condition_nobody_else_writes(living: Callable[..., Any]) -> None:
    _, client = living()
    before = client.listed()
    time.sleep(0.3)
    assert client.listed() == before


# -- lagging reads ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("edition", editions.ids())
def test_a_create_is_listed_only_after_the_create_lag_but_writes_see_it_at_once(
        edition: str, living: Callable[..., Any]) -> None:
    _, client = living(edition, create_lag=0.6)
    started = time.monotonic()
    assert client.create("lagging-create").status_code == 200
    assert "lagging-create" not in client.listed()
    assert missing(client.access("lagging-create"), editions.get(edition))  # the granted-access list lags too
    assert client.access("lagging-create", "PUT", json=ACCESS).status_code == 200  # a write finds it
    assert time.monotonic() - started < 0.5, "too slow to prove the lag"
    time.sleep(0.7)
    assert "lagging-create" in client.listed()
    assert client.access("lagging-create").json()["resultList"] == ACCESS["credentialAccessList"]


@pytest.mark.parametrize("edition", editions.ids())
def test_a_delete_is_still_listed_within_the_delete_lag_but_a_second_delete_finds_nothing(
        edition: str, living: Callable[..., Any]) -> None:
    _, client = living(edition, delete_lag=0.6)
    started = time.monotonic()
    assert client.delete("api-user").status_code == 200
    assert "api-user" in client.listed()
    assert client.access("api-user").json()["resultList"] == [{"name": "MyAPI", "type": "API_PROXY"}]
    assert missing(client.delete("api-user"), editions.get(edition))  # the primary has deleted it
    assert time.monotonic() - started < 0.5, "too slow to prove the lag"
    time.sleep(0.7)
    assert "api-user" not in client.listed()
    assert missing(client.access("api-user"), editions.get(edition))


def test_a_credential_created_again_within_the_delete_lag_is_listed_once(living: Callable[..., Any]) -> None:
    _, client = living(delete_lag=0.5)
    assert client.delete("admin-user").status_code == 200
    assert client.create("admin-user").status_code == 200
    assert client.listed().count("admin-user") == 1
    listed = client("GET", CREDENTIALS).json()["resultList"]
    assert [item["email"] for item in listed if item["username"] == "admin-user"] == ["some.one@example.com"]  # new


# -- a case-insensitive store -----------------------------------------------------------------------------------
def test_a_case_insensitive_store_holds_alice_and_ALICE_as_one_credential(living: Callable[..., Any]) -> None:
    edition = editions.base()
    _, client = living(case_insensitive=True)
    assert client.create("Alice").status_code == 200
    conflict = client.create("alice")
    assert edition.answered(conflict.status_code, conflict.json()) == rules.ALREADY_EXISTS
    assert client.access("ALICE").status_code == 200  # a lookup folds too
    assert client.delete("aLiCe").status_code == 200
    assert not [name for name in client.listed() if caseless(name) == "alice"]
    assert missing(client.delete("Alice"), edition)


def test_by_default_usernames_differing_by_case_are_two_credentials(living: Callable[..., Any]) -> None:
    _, client = living()
    assert client.create("Bob").status_code == 200
    assert client.create("bob").status_code == 200
    assert missing(client.delete("BOB"), editions.base())
    assert client.delete("bob").status_code == 200
    assert "Bob" in client.listed()


def test_caseless_names_are_unicode_s_not_ascii_s() -> None:
    assert caseless("Straße") == caseless("STRASSE") == caseless("strasse")
    assert caseless("ＡＬＩＣＥ") == caseless("alice")  # NFKC: full-width letters
    assert caseless("Alice") != caseless("Alicé")


# -- the options ------------------------------------------------------------------------------------------------
def test_conditions_refuse_impossible_values() -> None:
    with pytest.raises(ValueError, match="create_lag"):
        Conditions(create_lag=-1)
    with pytest.raises(ValueError, match="writer_interval"):
        Conditions(writer=True, writer_interval=0)
    assert gateway_main(["--port", "0", "--delete-lag", "-2"]) == 2  # one line, before anything is bound


def test_a_gateway_given_with_other_conditions_is_refused() -> None:
    server = GatewayServer(token=TOKEN, conditions=Conditions(case_insensitive=True))
    try:
        with pytest.raises(ValueError, match="conditions"):
            GatewayServer(gateway=server.gateway, conditions=Conditions())
    finally:
        server.stop()


def test_the_command_line_lists_every_condition(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:  # python -m contracts.gateway --help, in process (imports cost seconds)
        gateway_main(["--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    flags = ["--writer", "--writer-interval", "--writer-project", "--create-lag", "--delete-lag",
             "--case-insensitive"]
    assert [flag for flag in flags if flag not in help_text] == []


def test_the_session_factory_starts_a_living_gateway(gateway_factory: Callable[..., str]) -> None:
    url = gateway_factory(conditions=Conditions(create_lag=5))
    assert requests.post(url + CREDENTIALS, headers=AUTH, timeout=5, json={
        "username": "factory-lag", "password": "Secret-Password-1!", "fullName": "F", "email": "f@example.com",
    }).status_code == 200
    listed = requests.get(url + CREDENTIALS, headers=AUTH, timeout=5).json()["resultList"]
    assert "factory-lag" not in [item["username"] for item in listed]
