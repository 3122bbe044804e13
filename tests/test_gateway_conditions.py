"""The reference gateway can live (contracts/gateway/conditions.py, issue 28): each condition of a shared staging
Manager, off by default, observably does what it says, over real HTTP.

Short intervals and lags keep each test to a second or two; the conditions' own clocks are the server's
(time.monotonic), so the tests wait with margins rather than to the millisecond.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from contracts import editions, rules
from contracts.gateway.__main__ import main as gateway_main
from contracts.gateway.__main__ import parse
from contracts.gateway.conditions import Conditions, caseless, from_arguments
from contracts.gateway.describe import openapi_description
from contracts.gateway.server import GatewayServer
from tests.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROJECT = "MyProject"
CREDENTIALS = f"/apiops/projects/{PROJECT}/credentials/"
ACCESS = {"credentialAccessList": [{"name": "MyAPI", "type": "API_PROXY"}]}
LAG = 0.8  # seconds: long enough for the few requests made within it on a loaded machine, short enough to wait


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
    _, client = living(edition, create_lag=LAG)
    started = time.monotonic()
    assert client.create("lagging-create").status_code == 200
    assert "lagging-create" not in client.listed()
    assert missing(client.access("lagging-create"), editions.get(edition))  # the granted-access list lags too
    assert client.access("lagging-create", "PUT", json=ACCESS).status_code == 200  # a write finds it
    assert time.monotonic() - started < LAG - 0.1, "too slow to prove the lag"
    wait_for(lambda: "lagging-create" in client.listed(), within=LAG + 3)
    assert time.monotonic() - started >= LAG  # created after `started`: listed no sooner than LAG after it
    assert client.access("lagging-create").json()["resultList"] == ACCESS["credentialAccessList"]


@pytest.mark.parametrize("edition", editions.ids())
def test_a_delete_is_still_listed_within_the_delete_lag_but_a_second_delete_finds_nothing(
        edition: str, living: Callable[..., Any]) -> None:
    _, client = living(edition, delete_lag=LAG)
    started = time.monotonic()
    assert client.delete("api-user").status_code == 200
    assert "api-user" in client.listed()
    assert client.access("api-user").json()["resultList"] == [{"name": "MyAPI", "type": "API_PROXY"}]
    assert missing(client.delete("api-user"), editions.get(edition))  # the primary has deleted it
    assert time.monotonic() - started < LAG - 0.1, "too slow to prove the lag"
    wait_for(lambda: "api-user" not in client.listed(), within=LAG + 3)
    assert time.monotonic() - started >= LAG
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


# -- a restart, a login page, a busy Manager ----------------------------------------------------------------------
def refuses(server: GatewayServer) -> bool:
    """Whether a new connection to the server's port is refused (nothing listens), as a client sees it."""
    try:
        socket.create_connection((server.host, server.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def wait_for(condition: Callable[[], bool], within: float) -> float:
    """Seconds until ``condition()`` held; fails after ``within``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, f"not within {within} s"
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.mark.parametrize("when", [{"restart_after": 3}, {"restart_at": 1.0}])
def test_a_restart_refuses_connections_then_serves_the_same_store_on_the_same_port(
        when: dict[str, Any], living: Callable[..., Any]) -> None:
    server, client = living(restart_for=0.8, **when)
    url = server.url
    assert client.create("before-the-restart").status_code == 200
    assert client.delete("admin-user").status_code == 200
    assert client("GET", CREDENTIALS).status_code == 200  # the third request: the restart follows it
    wait_for(lambda: refuses(server), within=1.5)
    down = wait_for(lambda: not refuses(server), within=3)
    assert down > 0.4, f"listening again after {down:.2f} s, not after restart_for"
    assert server.url == url and server.restarts.count == 1
    fresh = Client(server)  # a pooled connection died with the old listener
    assert "before-the-restart" in fresh.listed() and "admin-user" not in fresh.listed()
    time.sleep(0.2)
    assert not refuses(server)  # once


def test_a_login_page_answers_every_request_from_the_nth_on(living: Callable[..., Any]) -> None:
    server, client = living(login_after=2)
    assert client("GET", CREDENTIALS).status_code == 200
    for method, path, headers in [("GET", CREDENTIALS, AUTH), ("DELETE", f"{CREDENTIALS}api-user/", AUTH),
                                  ("POST", "/apiops/auth/token", {}), ("GET", "/apiops/projects/", {})]:
        response = client(method, path, headers=headers)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith(f"{server.url}/login?"), response.headers
        assert response.headers["Content-Type"].startswith("text/html") and "<form" in response.text
    assert "api-user" in server.gateway.credentials  # the DELETE never reached the Manager
    page = client("GET", "/login")
    assert page.status_code == 200 and "<form" in page.text


def test_a_busy_manager_answers_503_with_retry_after_then_answers_again(living: Callable[..., Any]) -> None:
    _, client = living(busy_after=2, busy_for=LAG)
    assert client("GET", CREDENTIALS).status_code == 200
    started = time.monotonic()
    for method, path in [("DELETE", f"{CREDENTIALS}api-user/"), ("GET", CREDENTIALS)]:
        response = client(method, path)
        assert (response.status_code, response.headers.get("Retry-After")) == (503, "1"), (method, path)
        assert response.content
    assert time.monotonic() - started < LAG - 0.1, "too slow to prove the window"
    wait_for(lambda: client("GET", CREDENTIALS).status_code == 200, within=LAG + 3)
    assert time.monotonic() - started >= LAG  # busy from a request sent after `started`, for LAG seconds
    assert client("DELETE", f"{CREDENTIALS}api-user/").status_code == 200
    assert "api-user" not in client.listed()


# -- the options ------------------------------------------------------------------------------------------------
def test_conditions_refuse_impossible_values() -> None:
    with pytest.raises(ValueError, match="create_lag"):
        Conditions(create_lag=-1)
    with pytest.raises(ValueError, match="writer_interval"):
        Conditions(writer=True, writer_interval=0)
    with pytest.raises(ValueError, match="login_after"):
        Conditions(login_after=0)
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
             "--case-insensitive", "--restart-after", "--restart-at", "--restart-for", "--login-after", "--busy-after",
             "--busy-for"]
    assert [flag for flag in flags if flag not in help_text] == []


def test_the_command_line_s_flags_are_the_conditions() -> None:
    assert from_arguments(parse([])) == Conditions()
    assert from_arguments(parse(["--restart-at", "0"])) == Conditions(restart_at=0)  # 0 is a time, not "off"
    assert from_arguments(parse(["--writer", "--writer-interval", "0.2", "--create-lag", "1", "--delete-lag", "1.5",
                                 "--restart-after", "40", "--restart-for", "5", "--login-after", "9",
                                 "--busy-after", "7", "--busy-for", "3", "--case-insensitive"])) == Conditions(
        writer=True, writer_interval=0.2, create_lag=1, delete_lag=1.5, restart_after=40, restart_for=5,
        login_after=9, busy_after=7, busy_for=3, case_insensitive=True)


def test_the_session_factory_starts_a_living_gateway(gateway_factory: Callable[..., str]) -> None:
    url = gateway_factory(conditions=Conditions(create_lag=5))
    assert requests.post(url + CREDENTIALS, headers=AUTH, timeout=5, json={
        "username": "factory-lag", "password": "Secret-Password-1!", "fullName": "F", "email": "f@example.com",
    }).status_code == 200
    listed = requests.get(url + CREDENTIALS, headers=AUTH, timeout=5).json()["resultList"]
    assert "factory-lag" not in [item["username"] for item in listed]


# -- Update Credential (update-credential.md of docs.apinizer.com) ------------------------------------------------
NEWER, OLDER = "2026-08", "2025-12"
UPDATE = {"email": "updated@example.com", "fullName": "Updated User", "description": "Updated", "username": "api-user",
          "password": "NewSecurePassword123!", "roleNameList": ["API_USER"], "enabled": False, "ipList": [],
          "expireDate": None}


def test_in_the_edition_that_documents_it_a_put_updates_a_credential_and_redeploys_it(
        living: Callable[..., Any]) -> None:
    edition = editions.get(NEWER)
    server, client = living(NEWER)
    hashed = server.gateway.credentials["api-user"].password_hash
    response = client("PUT", CREDENTIALS, json=UPDATE)
    assert response.status_code == 200, response.text
    assert edition.is_success(response.json()) and edition.undeployment(response.json())  # create's answer
    listed = {item["username"]: item for item in client("GET", CREDENTIALS).json()["resultList"]}
    assert listed["api-user"]["email"] == "updated@example.com" and listed["api-user"]["enabled"] is False
    assert listed["api-user"]["ipList"] == [] and listed["api-user"]["expireDate"] is None
    assert server.gateway.credentials["api-user"].password_hash != hashed


def test_a_put_answers_as_the_edition_says_for_a_missing_credential_a_missing_project_and_no_token(
        living: Callable[..., Any]) -> None:
    edition = editions.get(NEWER)
    _, client = living(NEWER)
    for path, body, headers, expected in [
        (CREDENTIALS, {**UPDATE, "username": "nobody"}, AUTH, rules.MISSING_CREDENTIAL),
        (CREDENTIALS, {**UPDATE, "username": "other-user"}, AUTH, rules.MISSING_CREDENTIAL),  # another project's
        ("/apiops/projects/NoSuchProject/credentials/", UPDATE, AUTH, rules.UNKNOWN_PROJECT),
        (CREDENTIALS, UPDATE, {}, rules.NO_TOKEN),
    ]:
        response = client("PUT", path, json=body, headers=headers)
        assert edition.answered(response.status_code, response.json()) == expected, (body["username"], path)
    invalid = client("PUT", CREDENTIALS, json={**UPDATE, "email": None})  # every field is required, as for create
    assert invalid.status_code == 400 and edition.is_failure(invalid.json())


def test_in_the_edition_that_does_not_document_it_a_put_is_not_allowed(living: Callable[..., Any]) -> None:
    server, client = living(OLDER)
    response = client("PUT", CREDENTIALS, json=UPDATE)
    assert response.status_code == editions.get(OLDER).answer(rules.METHOD_NOT_ALLOWED).status == 405
    assert "PUT" not in response.headers["Allow"]
    assert server.gateway.credentials["api-user"].email == "user@example.com"


@pytest.mark.parametrize("edition, described", [(NEWER, True), (OLDER, False)])
def test_the_gateway_describes_update_credential_where_it_answers_it(edition: str, described: bool) -> None:
    document = openapi_description(edition=editions.get(edition))
    put = document["paths"]["/projects/{projectName}/credentials/"].get("put", {})
    assert (put.get("operationId") == "updateCredential") is described
