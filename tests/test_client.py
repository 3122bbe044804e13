"""The client: safety guard, no blind retries, and the token kept out of sight."""

from __future__ import annotations

import pytest
import requests
import responses

from contracts.client import ApiClient, GatewayUnreachable, UnsafeRequest
from contracts.naming import Namespace
from contracts.secrets import PLACEHOLDER, Secret, register

API = "http://gateway.invalid/apiops"
TOKEN = Secret("s3cr3t-token-for-client-tests")
register(TOKEN)


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
    with responses.RequestsMock() as mocked, pytest.raises(UnsafeRequest):
        client.delete_credential(project, username)
        assert not mocked.calls


@responses.activate
def test_the_client_deletes_its_own_credentials_and_percent_encodes_them(client: ApiClient) -> None:
    responses.delete(f"{API}/projects/MyProject/credentials/apiops-ct-abc123-a%40b%2Fc/", json={})
    client.delete_credential("MyProject", "apiops-ct-abc123-a@b/c")
    assert len(responses.calls) == 1


@responses.activate
def test_a_delete_that_failed_in_flight_is_not_retried(client: ApiClient) -> None:
    url = f"{API}/projects/MyProject/credentials/apiops-ct-abc123-x/"
    responses.delete(url, body=requests.ConnectionError("reset by peer"))
    with pytest.raises(GatewayUnreachable):
        client.delete_credential("MyProject", "apiops-ct-abc123-x")
    assert len(responses.calls) == 1


@responses.activate
def test_the_request_handed_back_carries_a_placeholder_not_the_token(client: ApiClient) -> None:
    responses.get(f"{API}/projects/", json={"status": "SUCCESS", "resultList": [], "resultCount": 0})
    response = client.list_projects()
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {PLACEHOLDER}"
    assert TOKEN.reveal() not in repr(response.request.headers)


def test_neither_the_token_nor_the_client_shows_the_token_in_a_repr(client: ApiClient) -> None:
    assert TOKEN.reveal() not in repr(TOKEN) + str(TOKEN) + repr(client) + repr(vars(client))


def test_an_unreachable_gateway_is_one_error_naming_the_url_and_not_the_token() -> None:
    client = ApiClient("http://127.0.0.1:9/apiops", TOKEN, Namespace("abc123"), timeout=2)
    with pytest.raises(GatewayUnreachable) as caught:
        client.list_projects()
    assert "http://127.0.0.1:9/apiops/projects/" in str(caught.value)
    assert TOKEN.reveal() not in str(caught.value)
    assert caught.value.__cause__ is None
