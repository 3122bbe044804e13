"""The client: it touches only the run's own credentials, follows no redirect, bounds every answer in time
and size, never sends anything but the bearer token, and keeps the token out of sight."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import responses

from contracts.client import ApiClient, segment
from contracts.http.answer import leaks
from contracts.http.errors import AnswerTooLarge, GatewayUnreachable, NoAnswerInTime, Redirected, UnsafeRequest
from contracts.naming import Namespace
from contracts.redaction import PLACEHOLDER, Secret, contains_secret, register
from tests.conftest import Handler

API = "http://gateway.invalid/apiops"
TOKEN = Secret("s3cr3t-token-for-client-tests")
register(TOKEN)
OURS = "/projects/MyProject/credentials/apiops-ct-abc123-x/"


@pytest.fixture
def client() -> ApiClient:
    return ApiClient(API, TOKEN, Namespace("abc123"), projects={"MyProject"})


@pytest.mark.parametrize(
    "project, username",
    [
        ("MyProject", "admin"),  # someone else's credential
        ("MyProject", "a"),
        ("MyProject", "apiops-ct-other1-cred-1"),  # another run's credential
        ("SomeoneElsesProject", "apiops-ct-abc123-cred-1"),  # a project that is not ours
    ],
)
def test_the_client_refuses_to_delete_outside_the_runs_namespace(
    client: ApiClient, project: str, username: str
) -> None:
    with responses.RequestsMock() as mocked:
        with pytest.raises(UnsafeRequest):
            client.delete_credential(project, username)
        assert not mocked.calls  # nothing was sent


@pytest.mark.parametrize("name", [".", ".."])
def test_a_dot_segment_name_is_refused_before_anything_is_sent(client: ApiClient, name: str) -> None:
    """requests turns %2E%2E back into "..", which a server resolves into another path."""
    with responses.RequestsMock() as mocked:
        with pytest.raises(UnsafeRequest, match="dot segment|resolved"):
            client.delete_credential(name, "apiops-ct-abc123-x")
        # An encoded one too, on any method: requests decodes %2E into the dot segment it then sends.
        with pytest.raises(UnsafeRequest, match="dot segment"):
            client.request("GET", "/projects/%2E%2E/credentials/")
        assert not mocked.calls
    assert segment("a.b") == "a.b"


@responses.activate
def test_the_client_deletes_its_own_credentials_and_percent_encodes_them(client: ApiClient) -> None:
    responses.delete(f"{API}/projects/MyProject/credentials/apiops-ct-abc123-a%40b%2Fc/", json={})
    client.delete_credential("MyProject", "apiops-ct-abc123-a@b/c")
    assert len(responses.calls) == 1


@responses.activate
def test_a_delete_that_failed_in_flight_is_not_retried(client: ApiClient) -> None:
    responses.delete(API + OURS, body=requests.ConnectionError("reset by peer"))
    with pytest.raises(GatewayUnreachable):
        client.delete_credential("MyProject", "apiops-ct-abc123-x")
    assert len(responses.calls) == 1


@responses.activate
def test_the_request_handed_back_carries_a_placeholder_and_the_wire_the_token(client: ApiClient) -> None:
    responses.get(f"{API}/projects/", json={"status": "SUCCESS", "resultList": [], "resultCount": 0})
    response = client.list_projects()
    # The mock saw the request after the auth put the token in; the client then masked it again.
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {PLACEHOLDER}"
    assert TOKEN.reveal() not in repr(response.request.headers)


def test_neither_the_token_nor_the_client_shows_the_token_in_a_repr(client: ApiClient) -> None:
    assert TOKEN.reveal() not in repr(TOKEN) + str(TOKEN) + repr(client) + repr(vars(client))
    assert TOKEN.reveal() not in repr(vars(client.session)) + repr(client.session.auth)


def test_an_unreachable_gateway_is_one_error_naming_the_url_and_not_the_token() -> None:
    client = ApiClient("http://127.0.0.1:9/apiops", TOKEN, Namespace("abc123"), timeout=2)
    with pytest.raises(GatewayUnreachable) as caught:
        client.list_projects()
    assert "http://127.0.0.1:9/apiops/projects/" in str(caught.value)
    assert TOKEN.reveal() not in str(caught.value)
    assert caught.value.__cause__ is None


# -- a gateway that will not let go (a raw socket server on loopback) ------------------------------------
def drip_headers(connection: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n":
        connection.send(bytes([byte]))
        time.sleep(0.3)


def drip_body(connection: socket.socket) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
    for _ in range(100):
        connection.send(b" ")
        time.sleep(0.3)


def late_body(connection: socket.socket) -> None:
    body = b'{"success": true}'
    connection.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    time.sleep(0.8)
    connection.send(body)


def huge_body(connection: socket.socket) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * 65536
    for _ in range(800 * 16):  # 800 MB
        connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def declared_huge(connection: socket.socket) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 838860800\r\n\r\n")


@pytest.mark.parametrize("handler", [drip_headers, drip_body], ids=["headers", "body"])
def test_a_gateway_that_drips_one_byte_at_a_time_is_given_up_on_at_the_deadline(
    raw_server: Callable[[Handler], str], handler: Handler
) -> None:
    client = ApiClient(raw_server(handler) + "/apiops", TOKEN, Namespace("abc123"), projects={"MyProject"}, timeout=1.5)
    started = time.monotonic()
    with pytest.raises(NoAnswerInTime, match="no complete answer within the 1.5 s deadline"):
        client.delete_credential("MyProject", "apiops-ct-abc123-x")
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("handler", [huge_body, declared_huge], ids=["streamed", "declared"])
def test_a_huge_body_is_cut_off_at_the_cap_naming_the_size(
    raw_server: Callable[[Handler], str], handler: Handler
) -> None:
    client = ApiClient(raw_server(handler) + "/apiops", TOKEN, Namespace("abc123"), projects={"MyProject"},
                       max_body=1_000_000)
    with pytest.raises(AnswerTooLarge, match="1,000,000-byte cap"):
        client.delete_credential("MyProject", "apiops-ct-abc123-x")


def test_the_response_time_is_measured_to_the_last_byte(raw_server: Callable[[Handler], str]) -> None:
    client = ApiClient(raw_server(late_body) + "/apiops", TOKEN, Namespace("abc123"), projects={"MyProject"})
    response = client.delete_credential("MyProject", "apiops-ct-abc123-x")
    assert response.json() == {"success": True}
    assert response.elapsed.total_seconds() >= 0.8


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_and_names_its_location(client: ApiClient, status: int) -> None:
    victim = f"{API}/projects/MyProject/credentials/api-user/"
    with responses.RequestsMock() as mocked:
        mocked.delete(API + OURS, status=status, headers={"Location": victim})
        with pytest.raises(Redirected, match=f"answered {status} redirecting to {victim}"):
            client.delete_credential("MyProject", "apiops-ct-abc123-x")
        assert [call.request.url for call in mocked.calls] == [API + OURS]  # nothing re-sent


def test_netrc_and_url_user_info_never_replace_the_bearer(
    client: ApiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests reads ~/.netrc for any request without auth; the session does not."""
    (tmp_path / ".netrc").write_text("machine gateway.invalid login intruder password netrc-password\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with responses.RequestsMock() as mocked:
        mocked.delete(API + OURS, json={})
        client.delete_credential("MyProject", "apiops-ct-abc123-x")
        client.delete_credential("MyProject", "apiops-ct-abc123-x", auth=None)
        sent = [call.request.headers.get("Authorization") for call in mocked.calls]
    assert sent == [f"Bearer {PLACEHOLDER}", None]


def test_an_echoed_token_is_found_and_scrubbed_as_the_answer_arrives(client: ApiClient) -> None:
    echo = base64.b64encode(f"Bearer {TOKEN.reveal()}".encode()).decode()
    with responses.RequestsMock() as mocked:
        escaped = TOKEN.reveal().replace("-", "\\u002d")  # as a Java serialiser may write it
        mocked.delete(API + OURS, body=f'{{"error_description": "{escaped}"}}', content_type="application/json",
                      headers={"X-Echo": echo}, status=401)
        response = client.delete_credential("MyProject", "apiops-ct-abc123-x")
    assert leaks(response) == ["body", "header X-Echo"]
    assert not contains_secret(response.text) and escaped not in response.text
    assert echo not in response.headers["X-Echo"]
