"""Scenarios for ``DELETE /apiops/projects/{projectName}/credentials/{username}/``.

Each test states one rule of the documentation (``../shared/apinizer-docs``) as its name, and
cites the page in its docstring: ``pytest -v`` reads as what the endpoint does. Every response of
the endpoint is also checked against ``openapi.yaml`` (status, content type, body schema).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import requests

from contracts.client import ApiClient, expect
from contracts.naming import Namespace
from contracts.spec import Contract
from contracts.targets import Target

DELETE = "deleteCredential"
WRONG_TOKEN = "apiops-contract-suite-wrong-token"

Create = Callable[..., str]


class Judge:
    """Holds every response of the DELETE to the contract: openapi.yaml and the time budget."""

    def __init__(self, contract: Contract, budget: float) -> None:
        self.contract, self.budget = contract, budget

    def __call__(self, response: requests.Response) -> dict:
        """The response's JSON body, after checking it against the contract of the DELETE."""
        problems = self.contract.violations(DELETE, response)
        assert not problems, (
            f"DELETE {response.url} answered {response.status_code} outside openapi.yaml: "
            + "; ".join(problems)
        )
        seconds = response.elapsed.total_seconds()
        assert seconds <= self.budget, f"DELETE took {seconds:.2f} s, over the {self.budget} s budget"
        body: dict = response.json()
        return body

    def error(self, response: requests.Response, status: int) -> dict:
        assert response.status_code == status, (
            f"expected {status}, got {response.status_code}: {response.text[:200]}"
        )
        return self(response)


@pytest.fixture
def judge(contract: Contract, target: Target) -> Judge:
    return Judge(contract, target.settings.max_response_time)


# -- success ---------------------------------------------------------------------------------------
def test_deleting_an_existing_credential_answers_200_with_success_true(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """delete-credential.md, Success Response: 200 with ``success: true`` and a deploymentResult."""
    username = credential()
    response = client.delete_credential(project, username)
    assert response.status_code == 200, f"expected 200, got {response.status_code}: {response.text[:200]}"
    body = judge(response)
    assert body["success"] is True
    assert body["deploymentResult"]["success"] is True


def test_the_undeployment_covers_every_environment_of_the_project_once_and_successfully(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """delete-credential.md, Automatic Undeployment: undeployed from all environments, results returned."""
    environments = client.environment_names(project)  # get-environments-by-project.md
    username = credential()
    body = judge(client.delete_credential(project, username))
    results = body["deploymentResult"]["environmentResults"]
    reported = Counter(result["environmentName"] for result in results)
    assert reported == Counter(environments), (
        f"undeployment reported {dict(reported)}, the project's environments are {environments}"
    )
    failed = [result for result in results if result["success"] is not True]
    assert not failed, f"undeployment failed in: {failed}"


def test_a_deleted_credential_is_gone_from_the_credential_list(
    client: ApiClient, project: str, credential: Create
) -> None:
    """delete-credential.md, Permanent Deletion; list-credentials.md lists what exists."""
    username = credential()
    assert username in client.usernames(project)
    expect(client.delete_credential(project, username), 200, "delete")
    assert username not in client.usernames(project)


def test_deletion_is_permanent_a_second_delete_answers_400(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """delete-credential.md, Permanent Deletion: the credential is gone, so deleting it again fails."""
    username = credential()
    expect(client.delete_credential(project, username), 200, "first delete")
    body = judge.error(client.delete_credential(project, username), 400)
    assert body["error"] == "bad_request"


# -- missing credential ----------------------------------------------------------------------------
def test_deleting_a_credential_that_does_not_exist_answers_400_bad_request_naming_the_username(
    client: ApiClient, judge: Judge, project: str, namespace: Namespace
) -> None:
    """delete-credential.md, Credential Must Exist: 400 "Credential (username: X) was not found!"."""
    username = namespace.name("never-created")
    body = judge.error(client.delete_credential(project, username), 400)
    assert body["error"] == "bad_request"
    assert username in body["error_description"], body["error_description"]


# -- bad token -------------------------------------------------------------------------------------
def _refused_authorizations(token: str) -> dict[str, str | None]:
    return {
        "wrong-token": f"Bearer {WRONG_TOKEN}",
        "no-authorization-header": None,
        "right-token-under-basic-scheme": f"Basic {token}",
        "empty-bearer": "Bearer ",
    }


@pytest.mark.parametrize("case", list(_refused_authorizations("")))
def test_a_delete_without_a_valid_bearer_token_answers_401_and_deletes_nothing(
    case: str, target: Target, client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """authentication.md, delete-credential.md: 401 ``unauthorized_client``; the credential stays."""
    username = credential()
    auth = _refused_authorizations(target.token.reveal())[case]
    body = judge.error(client.delete_credential(project, username, auth=auth), 401)
    assert body["error"] == "unauthorized_client"
    assert username in client.usernames(project), "a refused request deleted the credential"


def test_the_token_is_checked_before_the_project(
    client: ApiClient, judge: Judge, namespace: Namespace
) -> None:
    """authentication.md: every endpoint requires the token, so an unknown project still answers 401."""
    unknown = namespace.name("no-such-project")
    response = client.delete_credential(unknown, namespace.name("cred"), auth=f"Bearer {WRONG_TOKEN}")
    assert judge.error(response, 401)["error"] == "unauthorized_client"


def test_the_token_is_checked_before_the_credential(
    client: ApiClient, judge: Judge, project: str, namespace: Namespace
) -> None:
    """authentication.md: a missing credential behind a bad token answers 401, not 400."""
    missing = namespace.name("never-created")
    response = client.delete_credential(project, missing, auth=f"Bearer {WRONG_TOKEN}")
    assert judge.error(response, 401)["error"] == "unauthorized_client"


# -- unknown project -------------------------------------------------------------------------------
def test_deleting_in_an_unknown_project_answers_404_not_found_naming_the_project(
    client: ApiClient, judge: Judge, namespace: Namespace
) -> None:
    """delete-credential.md, 404: "Project(X) was not found or user does not have privilege ..."."""
    unknown = namespace.name("no-such-project")
    body = judge.error(client.delete_credential(unknown, namespace.name("cred")), 404)
    assert body["error"] == "not_found"
    assert unknown in body["error_description"], body["error_description"]


# -- access grants ---------------------------------------------------------------------------------
def test_the_credentials_access_grants_are_removed_with_it(
    client: ApiClient, project: str, api_proxy: str, credential: Create
) -> None:
    """delete-credential.md, Access Revocation: all grants go; a new credential of that name has none."""
    username = credential()
    expect(client.grant_access(project, username, api_proxy), 200, "grant access")
    granted = expect(client.granted_access(project, username), 200, "granted access").json()["resultList"]
    assert {"name": api_proxy, "type": "API_PROXY"} in granted, "set-up: the grant did not take"

    expect(client.delete_credential(project, username), 200, "delete")
    gone = client.granted_access(project, username)  # get-granted-access-list.md: must exist
    assert gone.status_code == 400, f"grants of a deleted credential still answer {gone.status_code}"

    credential(username=username)  # same username again: it must start with no grant at all
    again = expect(client.granted_access(project, username), 200, "granted access").json()["resultList"]
    assert again == [], f"a re-created credential inherited the deleted one's grants: {again}"


# -- exactly the named credential ------------------------------------------------------------------
def test_a_delete_removes_exactly_the_named_credential_and_nothing_else(
    client: ApiClient, project: str, credential: Create, namespace: Namespace
) -> None:
    """delete-credential.md: "Deletes a credential specified by username" — one, not more."""
    username, sibling = credential(), credential()
    # Credentials of other tests running in parallel (xdist workers) come and go meanwhile: leave them out.
    others = namespace.busy_elsewhere
    before = {name for name in client.usernames(project) if not others(name)}
    expect(client.delete_credential(project, username), 200, "delete")
    after = {name for name in client.usernames(project) if not others(name)}
    assert before - after == {username}, f"removed {sorted(before - after)}, expected only {username}"
    assert sibling in after


def test_usernames_are_case_sensitive_a_case_variant_deletes_nothing(
    client: ApiClient, judge: Judge, project: str, credential: Create, namespace: Namespace
) -> None:
    """base-url.md, Path Parameter Rules: names are case-sensitive."""
    username = credential(username=namespace.name("cred") + "-MixedCase")
    variant = username.replace("-MixedCase", "-mixedcase")
    body = judge.error(client.delete_credential(project, variant), 400)
    assert body["error"] == "bad_request"
    assert username in client.usernames(project), "a case variant deleted the credential"


def test_project_names_are_case_sensitive_a_case_variant_project_is_unknown(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """base-url.md and list-projects.md: project names are case-sensitive."""
    variant = project.swapcase()
    if variant == project:
        pytest.skip(f"project name {project!r} has no letters to change the case of")
    username = credential()
    body = judge.error(client.delete_credential(variant, username), 404)
    assert body["error"] == "not_found"
    assert username in client.usernames(project), "a case-variant project deleted the credential"


def test_a_credential_is_reached_only_through_its_own_project(
    client: ApiClient, judge: Judge, project: str, other_project: str, credential: Create
) -> None:
    """list-credentials.md, Project Scope: a project's credentials are not another project's."""
    username = credential()
    body = judge.error(client.delete_credential(other_project, username), 400)
    assert body["error"] == "bad_request"
    assert username in client.usernames(project), "a delete through another project removed the credential"


ENCODED = {
    "at-sign": "user@example.com",
    "plus": "a+b",
    "percent": "100%",
    "question-mark": "why?",
    "hash": "hash#tag",
    "ampersand-and-equals": "a&b=c",
    "colon-and-semicolon": "x:y;z",
    "non-ascii": "ünïcødé",
}


@pytest.mark.parametrize("suffix", list(ENCODED.values()), ids=list(ENCODED))
def test_usernames_that_need_url_encoding_are_deleted_correctly(
    suffix: str, client: ApiClient, judge: Judge, project: str, namespace: Namespace, credential: Create
) -> None:
    """base-url.md, URL Encoding: special characters are percent-encoded in the path."""
    username = f"{namespace.name('enc')}-{suffix}"
    credential(username=username)
    assert username in client.usernames(project), "set-up: the credential was not listed"
    response = client.delete_credential(project, username)
    assert response.status_code == 200, f"expected 200, got {response.status_code}: {response.text[:200]}"
    judge(response)
    assert username not in client.usernames(project)


# -- secrets ---------------------------------------------------------------------------------------
def test_no_response_ever_carries_the_presented_token(
    target: Target, client: ApiClient, project: str, credential: Create, namespace: Namespace
) -> None:
    """authentication.md, Token Security: the token is a secret; no answer echoes it back."""
    token = target.token.reveal()
    username = credential()
    responses = [
        client.delete_credential(project, username, auth=f"Bearer {WRONG_TOKEN}"),
        client.delete_credential(project, username, auth=f"Basic {token}"),
        client.delete_credential(namespace.name("no-such-project"), username),
        client.delete_credential(project, username),
        client.delete_credential(project, username),
    ]
    for response in responses:
        where = f"{response.request.method} {response.url} ({response.status_code})"
        for presented in (token, WRONG_TOKEN):
            # Booleans first: pytest would otherwise print the token while explaining the failure.
            in_body = presented in response.text
            in_headers = [name for name, value in response.headers.items() if presented in value]
            assert not in_body, f"{where}: the body carries the presented token"
            assert not in_headers, f"{where}: headers {in_headers} carry the presented token"
