"""Scenarios for ``DELETE /apiops/projects/{projectName}/credentials/{username}/``.

Each test states one rule of the rulebook (contracts/rules.py) as its name, declares it with
``@pytest.mark.rule`` and cites the page in its docstring: ``pytest -v`` reads as what the endpoint
does. The judge holds every answer of the DELETE to the rules every answer must keep (documented
status and body, error format, no echoed token, time budget) without the tests asking; a test adds
its own expectation with ``judge.expect(response, rule)`` (the rule's expected status, ``error``
code and the names the message must name) or ``judge.that(rule, holds, what_was_seen)``.
"""

from __future__ import annotations

import functools
from collections import Counter
from urllib.parse import unquote

import pytest
import requests

from contracts import rules
from contracts.client import ApiClient, expect, result_list
from contracts.credentials import Credentials
from contracts.editions import Edition
from contracts.http.answer import leaks
from contracts.judge import Judge
from contracts.naming import Namespace
from contracts.redaction import PLACEHOLDER

WRONG_TOKEN = "apiops-contract-suite-wrong-token"

Create = Credentials  # credential() creates one; credential.all(names) several at once
rule = pytest.mark.rule


# -- success ---------------------------------------------------------------------------------------
@rule(rules.DELETED.id)
def test_deleting_an_existing_credential_answers_success_with_a_deployment_result(
    client: ApiClient, judge: Judge, edition: Edition, project: str, credential: Create
) -> None:
    """delete-credential.md, Success Response: the edition's success (``success: true``, ``status: SUCCESS``)
    and a deploymentResult that succeeded."""
    body = judge.expect(client.delete_credential(project, credential()), rules.DELETED)
    marker = edition.success_marker("deleteCredential")
    judge.that(rules.DELETED, edition.is_success(body, "deleteCredential"),
               f"the body does not carry {marker}: {({key: body.get(key) for key in marker})}")
    result = body.get("deploymentResult") or {}
    field = edition.deployment.success
    judge.that(rules.DELETED, result.get(field) is True, f"`deploymentResult.{field}` is {result.get(field)!r}")


@rule(rules.UNDEPLOYED.id)
def test_the_undeployment_covers_every_environment_of_the_project_and_succeeds_in_each(
    client: ApiClient, judge: Judge, edition: Edition, project: str, credential: Create
) -> None:
    """delete-credential.md, Automatic Undeployment: undeployed from all environments, results returned (one
    entry per environment, or per pod: an environment with several pods appears once per pod)."""
    environments = client.environment_names(project)  # get-environments-by-project.md
    body = judge.expect(client.delete_credential(project, credential()), rules.DELETED)
    results = edition.undeployment(body) or []
    reported = Counter(name for name, _ in results)
    missing = sorted(set(environments) - set(reported))
    judge.that(rules.UNDEPLOYED, not missing,
               f"undeployment reported {dict(reported)}; missing the project's environments {missing}")
    foreign = sorted(set(reported) - set(environments), key=str)
    judge.that(rules.UNDEPLOYED, not foreign, f"undeployment reported environments of no such project: {foreign}")
    failed = [name for name, succeeded in results if succeeded is not True]
    judge.that(rules.UNDEPLOYED, not failed, f"undeployment failed in: {failed}")


@rule(rules.PERMANENT.id)
def test_a_deleted_credential_is_gone_from_the_credential_list(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """delete-credential.md, Permanent Deletion; list-credentials.md lists what exists."""
    username = credential()
    expect_listed(client, project, username)
    judge.expect(client.delete_credential(project, username), rules.DELETED)
    judge.that(rules.PERMANENT, client.drops(project, username), f"{username!r} is still listed")


@rule(rules.PERMANENT.id)
def test_deletion_is_permanent_a_second_delete_finds_no_credential(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """delete-credential.md, Permanent Deletion: the credential is gone, so deleting it again fails."""
    username = credential()
    judge.expect(client.delete_credential(project, username), rules.DELETED)
    judge.expect(client.delete_credential(project, username), rules.PERMANENT)


@rule(rules.PERMANENT.id)
def test_a_deleted_credential_cannot_have_its_password_changed(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """delete-credential.md, Permanent Deletion; change-credential-password.md: PATCH on the same path, the path's
    other door, finds no credential once it is deleted."""
    username = credential()
    judge.expect(client.delete_credential(project, username), rules.DELETED)
    judge.expect(client.change_password(project, username, "Contract-Suite-Password-2!"), rules.PERMANENT)


@rule(rules.ONE_OF_TWO.id)
def test_of_two_simultaneous_deletes_of_one_credential_exactly_one_succeeds(
    client: ApiClient, judge: Judge, edition: Edition, project: str, credential: Create
) -> None:
    """delete-credential.md, Error Response: a credential that does not exist cannot be deleted, so of two deletes
    sent at once (as far as --concurrency lets them go together) one finds it and the other does not.

    A replay judges the recorded answers again: it proves what the Manager answered to the two, not the race."""
    username = credential()
    answers = client.concurrently([functools.partial(client.delete_credential, project, username)] * 2)
    succeeded = [answer for answer in answers if answer.status_code == edition.answer(rules.SUCCESS).status]
    judge.that(rules.ONE_OF_TWO, len(succeeded) == 1,
               f"{len(succeeded)} of the two deletes of {username!r} answered success: "
               + "; ".join(f"{answer.status_code} {answer.text[:160]}" for answer in answers))
    winner, other = (answers[0], answers[1]) if answers[0] is succeeded[0] else (answers[1], answers[0])
    judge.expect(other, rules.ONE_OF_TWO)  # the one that came second: the missing credential's answer
    body = judge.expect(winner, rules.DELETED)
    judge.that(rules.ONE_OF_TWO, bool(edition.undeployment(body)), f"the successful delete reported no undeployment: "
               f"{body}")
    judge.that(rules.ONE_OF_TWO, client.drops(project, username), f"{username!r} is still listed")


# -- missing credential ----------------------------------------------------------------------------
@rule(rules.MUST_EXIST.id)
def test_deleting_a_credential_that_does_not_exist_fails_naming_the_username(
    client: ApiClient, judge: Judge, project: str, namespace: Namespace
) -> None:
    """delete-credential.md, Error Response: "Credential (username: X) was not found!"."""
    judge.expect(client.delete_credential(project, namespace.name("never-created")), rules.MUST_EXIST)


# -- bad token -------------------------------------------------------------------------------------
REFUSED = {  # the Authorization header sent; the placeholder becomes the real token only on the wire
    "wrong-token": f"Bearer {WRONG_TOKEN}",
    "no-authorization-header": None,
    "right-token-under-basic-scheme": f"Basic {PLACEHOLDER}",
    "empty-bearer": "Bearer ",
}


@rule(rules.TOKEN_REQUIRED.id)
@pytest.mark.parametrize("authorization", list(REFUSED.values()), ids=list(REFUSED))
def test_a_delete_without_a_valid_bearer_token_is_refused_and_deletes_nothing(
    authorization: str | None, client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """authentication.md, Using the Token: refused as a bad token (the edition's refused-token answer); the
    credential stays."""
    username = credential()
    judge.expect(client.delete_credential(project, username, auth=authorization), rules.TOKEN_REQUIRED)
    judge.that(rules.TOKEN_REQUIRED, client.shows(project, username), "a refused request deleted the credential")


@rule(rules.TOKEN_FIRST.id)
def test_the_token_is_checked_before_the_project(client: ApiClient, judge: Judge, namespace: Namespace) -> None:
    """authentication.md: every endpoint requires the token, so an unknown project is still refused as a bad token."""
    unknown = namespace.name("no-such-project")
    response = client.delete_credential(unknown, namespace.name("cred"), auth=f"Bearer {WRONG_TOKEN}")
    judge.expect(response, rules.TOKEN_FIRST)


@rule(rules.TOKEN_FIRST.id)
def test_the_token_is_checked_before_the_credential(
    client: ApiClient, judge: Judge, project: str, namespace: Namespace
) -> None:
    """authentication.md: a missing credential behind a bad token is refused, not answered as missing."""
    response = client.delete_credential(project, namespace.name("never-created"), auth=f"Bearer {WRONG_TOKEN}")
    judge.expect(response, rules.TOKEN_FIRST)


# -- unknown project -------------------------------------------------------------------------------
@rule(rules.PROJECT_MUST_EXIST.id)
def test_deleting_in_an_unknown_project_fails_naming_the_project(
    client: ApiClient, judge: Judge, namespace: Namespace
) -> None:
    """delete-credential.md: the edition's unknown-project answer, naming the project."""
    response = client.delete_credential(namespace.name("no-such-project"), namespace.name("cred"))
    judge.expect(response, rules.PROJECT_MUST_EXIST)


# -- access grants ---------------------------------------------------------------------------------
@rule(rules.GRANTS_REVOKED.id)
def test_the_credentials_access_grants_are_removed_with_it(
    client: ApiClient, judge: Judge, edition: Edition, project: str, api_proxy: str, credential: Create
) -> None:
    """delete-credential.md, Access Revocation: all grants go; a new credential of that name has none."""
    username = credential()
    expect(client.grant_access(project, username, api_proxy), 200, "set-up: grant access")
    wanted = {"name": api_proxy, "type": "API_PROXY"}
    grants = functools.partial(client.granted_access, project, username)
    granted = client.settled(grants, grants_in, lambda found: wanted in (found or []), "a grant listed")
    assert granted is not None and wanted in granted, f"set-up: the grant did not take: {granted}"

    judge.expect(client.delete_credential(project, username), rules.DELETED)
    # get-granted-access-list.md documents the DELETE's missing-credential answer for a credential that is gone
    missing = edition.answer(rules.MISSING_CREDENTIAL).status
    gone = client.settled(grants, lambda answer: answer.status_code, missing.__eq__,
                          "a deleted credential's grants gone")
    judge.that(rules.GRANTS_REVOKED, gone == missing, f"the grants of a deleted credential still answer {gone}")

    credential(username=username)  # the same username again: it must start with no grant at all
    again = client.settled(grants, grants_in, lambda found: found == [], "a re-created credential's grants listed")
    assert again is not None, f"set-up: the re-created {username!r} has no readable grants"
    judge.that(rules.GRANTS_REVOKED, again == [],
               f"a re-created credential inherited the deleted one's grants: {again}")


# -- exactly the named credential ------------------------------------------------------------------
def neighbours(username: str) -> dict[str, str]:
    """Usernames a gateway could wrongly take for ``username`` (which ends in ``%41z``, or ``Az`` where the
    Manager's stack refuses ``%`` in a path: then no neighbour equals it URL-decoded)."""
    near = {
        "extends it": username + "x",
        "is contained in it": username[:-1],
        "shares its prefix": username[:-1] + "y",
        "differs only in case": username[:-1] + username[-1].upper(),
        "equals it URL-decoded": unquote(username),
    }
    return {relation: name for relation, name in near.items() if name != username}


@rule(rules.EXACTLY_ONE.id)
def test_a_delete_removes_exactly_the_named_credential_and_no_neighbour(
    client: ApiClient, judge: Judge, project: str, credential: Create, namespace: Namespace
) -> None:
    """delete-credential.md, Overview: "Deletes a credential specified by username" — that one, not its neighbours."""
    # A name the stack refuses could never be deleted: never created (special-characters-are-percent-encoded says so).
    username = namespace.name("exact") + ("%41z" if client.routing.deletable("%") else "Az")
    near = neighbours(username)
    planted = {username, *near.values()}
    credential.all([username, *near.values()])  # independent: created at once
    # Only the run's own changes count (contracts/living.py): credentials of other tests of this run come and go
    # meanwhile, and so may others' (another pipeline, the Manager's Credential Synchronization).
    before = {name for name in client.listed(project, planted.issubset, "a credential listed")
              if not namespace.busy_elsewhere(name)}
    judge.expect(client.delete_credential(project, username), rules.DELETED)
    after = {name for name in client.listed(project, lambda names: username not in names,
                                            "a deleted credential gone from the list")
             if not namespace.busy_elsewhere(name)}
    lost = {relation: name for relation, name in near.items() if name not in after}
    judge.that(rules.EXACTLY_ONE, not lost, f"deleting {username!r} also deleted the credential that "
               + "; the one that ".join(f"{relation} ({name!r})" for relation, name in lost.items()))
    removed = before - after
    theirs = {name for name in removed if name not in planted}
    if theirs and not quiet(client, project, namespace):
        removed -= theirs  # another writer's, as far as anybody can tell: counted (client.others), not judged
    judge.that(rules.EXACTLY_ONE, removed == {username}, f"removed {sorted(removed)}, expected only {username!r}")


def quiet(client: ApiClient, project: str, namespace: Namespace) -> bool:
    """Whether nobody else changes the project: a credential of others that vanished at the DELETE is the DELETE's
    doing only then. Watched for the settle window: one change of others' seen in it, and the project lives."""
    changed = client.settled(functools.partial(client.list_credentials, project),
                             lambda answer: client.others.saw(project, list(names_in(answer)), namespace.of_the_run),
                             bool, None)
    return not changed


@rule(rules.USERNAME_CASE.id)
def test_usernames_are_case_sensitive_a_case_variant_deletes_nothing(
    client: ApiClient, judge: Judge, project: str, credential: Create, namespace: Namespace
) -> None:
    """base-url.md, Path Parameter Rules: names are case-sensitive."""
    username = credential(username=namespace.name("cred") + "-MixedCase")
    judge.expect(client.delete_credential(project, username.replace("-MixedCase", "-mixedcase")), rules.USERNAME_CASE)
    judge.that(rules.USERNAME_CASE, client.shows(project, username), "a case variant deleted the credential")


@rule(rules.PROJECT_CASE.id)
def test_project_names_are_case_sensitive_a_case_variant_project_is_unknown(
    client: ApiClient, judge: Judge, project: str, credential: Create
) -> None:
    """base-url.md and list-projects.md: project names are case-sensitive."""
    variant = project.swapcase()
    if variant == project:
        pytest.skip(f"project name {project!r} has no letters to change the case of")
    username = credential()
    judge.expect(client.delete_credential(variant, username), rules.PROJECT_CASE)
    judge.that(rules.PROJECT_CASE, client.shows(project, username),
               "a case-variant project deleted the credential")


@rule(rules.SCOPED.id)
def test_a_credential_is_reached_only_through_its_own_project(
    client: ApiClient, judge: Judge, project: str, other_project: str, credential: Create
) -> None:
    """list-credentials.md, Project Scope: a project's credentials are not another project's."""
    username = credential()
    judge.expect(client.delete_credential(other_project, username), rules.SCOPED)
    judge.that(rules.SCOPED, client.shows(project, username), "a delete through another project removed it")


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


@rule(rules.ENCODED.id)
def test_usernames_that_need_url_encoding_are_deleted_as_themselves(
    client: ApiClient, judge: Judge, project: str, namespace: Namespace, credential: Create
) -> None:
    """base-url.md, URL Encoding: special characters (@ + % ? # & = : ; and non-ASCII) are percent-encoded.

    A character the Manager's HTTP stack refuses in a path (learned before anything was created, contracts/stack.py)
    is never put in a name: such a credential could be created but never deleted. The rule then fails once, naming
    those characters, after the others were checked."""
    names = {case: f"{namespace.name(case)}-{suffix}" for case, suffix in ENCODED.items()
             if client.routing.deletable(suffix)}
    credential.all(list(names.values()))  # independent: created, and deleted, at once
    made = set(names.values())
    listed = client.listed(project, made.issubset, "a credential listed")
    assert made <= listed, f"set-up: not listed after their create: {made - listed}"
    answers = client.concurrently([functools.partial(client.delete_credential, project, name)
                                   for name in names.values()])
    for answer in answers:
        judge.expect(answer, rules.ENCODED)
    after = client.listed(project, made.isdisjoint, "a deleted credential gone from the list")
    still = {case: name for case, name in names.items() if name in after}
    judge.that(rules.ENCODED, not still, f"still listed after their delete: {still}")
    refused = [suffix for suffix in ENCODED.values() if not client.routing.deletable(suffix)]
    judge.that(rules.ENCODED, not refused, client.routing.finding() if refused else "")


# -- secrets ---------------------------------------------------------------------------------------
@rule(rules.TOKEN_NEVER_ECHOED.id)
def test_no_answer_ever_carries_the_presented_token(
    client: ApiClient, judge: Judge, project: str, credential: Create, namespace: Namespace
) -> None:
    """authentication.md, Token Security: the token is a secret; no answer echoes it back, in any encoding."""
    username = credential()
    answers = [
        client.list_credentials(project),
        client.delete_credential(project, username, auth=f"Bearer {WRONG_TOKEN}"),
        client.delete_credential(project, username, auth=f"Basic {PLACEHOLDER}"),
        client.delete_credential(namespace.name("no-such-project"), username),
        client.delete_credential(project, username),
        client.delete_credential(project, username),
    ]
    for answer in answers:  # the client found echoes as they arrived (and scrubbed them away)
        judge.that(rules.TOKEN_NEVER_ECHOED, not leaks(answer),
                   f"{answer.request.method} {answer.url} ({answer.status_code}) carries the presented token in: "
                   f"{', '.join(leaks(answer))}")


# -- helpers -----------------------------------------------------------------------------------------
def expect_listed(client: ApiClient, project: str, username: str) -> None:
    assert client.shows(project, username), f"set-up: {username!r} is not listed after its create"


def grants_in(answer: requests.Response) -> list[dict[str, object]] | None:
    """The grants a granted-access answer lists; None when it answered no list (the credential not readable yet)."""
    return result_list(answer, "set-up: granted access") if answer.status_code == 200 else None


def names_in(answer: requests.Response) -> set[str]:
    return {str(item.get("username")) for item in result_list(answer, "list credentials")}
