"""Preflight: read-only calls prove base URL, token and project and decide the edition, or say in one line which
failed."""

from __future__ import annotations

import pytest
import responses
from responses import matchers

from contracts import editions
from contracts.client import ApiClient
from contracts.naming import Namespace
from contracts.redaction import Secret
from contracts.settings import Settings
from contracts.targets import WRONG_TOKEN, PreflightError, Target, preflight

API = "https://gw.example.com/apiops"
CALL = f"{API}/projects/MyProject/credentials/"


def target() -> Target:
    token = Secret("preflight-token")
    settings = Settings(target="live", project="MyProject", token=token, manager_url="https://gw.example.com")
    client = ApiClient(API, token, Namespace("abc123"), projects={"MyProject"})
    return Target(settings=settings, api_url=API, client=client, namespace=client.namespace, token=token)


@responses.activate
def test_a_visible_project_passes_preflight_with_read_only_calls_that_decide_the_edition() -> None:
    """The credential list, a refusal of a deliberately wrong token, the published description: reads only."""
    wrong = matchers.header_matcher({"Authorization": f"Bearer {WRONG_TOKEN}"})
    responses.get(CALL, json={"error": "unauthorized_client", "error_description": "Invalid token"}, status=401,
                  match=[wrong])
    responses.get(CALL, json={"success": True, "resultList": []})
    opened = target()
    preflight(opened)
    assert {call.request.method for call in responses.calls} == {"GET"}
    assert opened.edition == editions.get("2025-12"), opened.evidence


@pytest.mark.parametrize("status, body, says", [
    (400, {"status": "FAILURE", "resultMessage": "Project (MyProject) is not found or user does not have privilege to "
                                                 "access it!"}, "project 'MyProject'"),  # the 2026-08 edition
    (401, {"error": "unauthorized_client", "error_description": "Invalid token"}, "401: the token in APIOPS_TOKEN"),
    (404, {"error": "not_found", "error_description": "Project(MyProject) was not found"}, "project 'MyProject'"),
    (200, "<html>login</html>", "with an HTML page, not the Management API's JSON"),
    (502, "Bad Gateway", "answered 502"),
])
@responses.activate
def test_a_failed_preflight_is_one_line_naming_the_url(status: int, body: object, says: str) -> None:
    if isinstance(body, dict):
        responses.get(CALL, json=body, status=status)
    else:
        responses.get(CALL, body=str(body), status=status, content_type="text/html")
    with pytest.raises(PreflightError) as caught:
        preflight(target())
    message = str(caught.value)
    assert says in message and CALL in message and "\n" not in message
    assert "preflight-token" not in message
