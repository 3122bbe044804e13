"""The editions of the contract (contracts/editions): each is complete, each document accepts its own pages'
examples and refuses the other's, a run is held to one edition, and what the run needs from a token is said.

The examples below are written from the facts of each edition's delete-credential.md (what its success and
error bodies carry), not copied from the pages.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from contracts import drift, editions, published, recording, rules
from contracts.answer_checks import error_format_problems
from contracts.client import ApiClient
from contracts.gateway.server import GatewayServer
from contracts.judge import answer_problems
from contracts.naming import Namespace
from contracts.redaction import Secret
from contracts.settings import Settings
from contracts.spec import OPERATION, load
from contracts.targets import SUPPORTING_PATHS, WRONG_TOKEN, PreflightError, Target, preflight
from tests.conftest import TOKEN, RunSuite, live

# The two editions whose pages the examples below are written from; every other test reads editions.ids().
OLDER, NEWER = "2025-12", "2026-08"

# delete-credential.md of each edition: a successful delete, and the missing credential's 400.
EXAMPLES: dict[str, dict[int, dict[str, Any]]] = {
    OLDER: {
        200: {"success": True, "deploymentResult": {"success": True, "message": "Undeployment completed successfully",
                                                     "environmentResults": [{"environmentName": "production",
                                                                             "success": True,
                                                                             "message": "Undeployed successfully"}]}},
        400: {"error": "bad_request", "error_description": "Credential (username: api-user) was not found!"},
    },
    NEWER: {
        200: {"status": "SUCCESS", "deploymentResult": {
            "success": True, "responseTime": 120,
            "detailList": [{"envName": "production", "podName": "worker-abc123", "podIp": "10.0.0.1",
                            "success": True, "responseTime": 120},
                           {"envName": "production", "podName": "worker-def456", "podIp": "10.0.0.2",
                            "success": True, "responseTime": 95, "detail": None}]}},
        400: {"status": "FAILURE", "resultMessage": "Credential (username: api-user) was not found!"},
    },
}


def answered(status: int, body: Any, path: str = "/apiops/projects/MyProject/credentials/api-user/") -> \
        requests.Response:
    """A response as the client would hold it, for the judge's functions."""
    response = requests.Response()
    response.status_code = status
    response.headers["Content-Type"] = "application/json;charset=UTF-8"  # overview.md: with a charset
    response._content = json.dumps(body).encode()
    response.request = requests.Request("DELETE", f"http://gateway.test{path}").prepare()
    response.url = str(response.request.url)
    return response


def test_every_edition_answers_every_rule_and_cites_a_page_for_it() -> None:
    """The rulebook: a rule is one object whose sources are every edition's page, and whose answer every edition
    gives."""
    for edition in editions.all_editions():
        for rule in rules.RULES.values():
            assert rule.source_in(edition) is not None, f"{edition.id} cites no page for {rule.id}"
            if rule.answer is not None:
                assert edition.answer(rule).status, f"{edition.id} has no answer for {rule.id}"
        assert set(edition.methods) == load(edition).methods("/projects/{projectName}/credentials/{username}/")


@pytest.mark.parametrize("own", sorted(EXAMPLES))
def test_each_editions_examples_are_accepted_by_its_own_document_and_refused_by_the_others(own: str) -> None:
    """delete-credential.md of each edition: its examples are its document's, and the document of every edition of
    another envelope refuses them."""
    for status, body in EXAMPLES[own].items():
        for edition in editions.all_editions():
            problems = load(edition).violations(OPERATION, answered(status, body))
            if edition.id == own:
                assert problems == [], f"{own}'s {status} example refused by its own document: {problems}"
            elif edition.envelope != editions.get(own).envelope:
                assert problems, f"{edition.id}'s document accepts {own}'s {status} example"


def test_an_error_in_the_other_editions_format_is_a_failure_that_says_so() -> None:
    """errors-follow-the-error-format: once the edition is chosen, every answer is held to it."""
    newer = editions.get(NEWER)
    older_body = EXAMPLES[OLDER][400]
    problems = error_format_problems(load(newer), newer, OPERATION, 400, "application/json", json.dumps(older_body))
    assert any(f"in the {editions.get(OLDER)} edition's format" in problem for problem in problems), problems
    expected = newer.answer(rules.MISSING_CREDENTIAL)
    assert answer_problems(expected, newer, answered(400, older_body), {"username": "api-user"})
    assert answer_problems(expected, newer, answered(400, EXAMPLES[NEWER][400]), {"username": "api-user"}) == []


def test_the_unknown_project_and_the_missing_credential_are_told_apart_where_they_share_a_status() -> None:
    """The newer edition answers both with 400: an answer is recognised by its message, not its status alone."""
    newer = editions.get(NEWER)
    for name, names in ((rules.MISSING_CREDENTIAL, {"username": "bob"}), (rules.UNKNOWN_PROJECT,
                                                                           {"projectName": "P"})):
        status, body = newer.answer_body(name, **names)
        assert newer.answered(status, body) == name


@pytest.mark.parametrize(("pinned", "speaks"), [(OLDER, NEWER), (NEWER, OLDER)])
def test_a_run_pinned_to_one_edition_against_a_gateway_of_the_other_ends_in_one_line_naming_both(
    pinned: str, speaks: str, run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    """--edition: a pinned run fails when the wire format is another edition's (e.g. after an upgrade)."""
    run = run_suite("contracts/scenarios", *live(gateway_factory(edition=speaks)), "--edition", pinned,
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 4, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.startswith("apiops:") or "apiops: preflight" in line]
    assert len(lines) == 1 and "Traceback" not in run.output, run.output[-3000:]
    assert f"--edition {pinned}" in lines[0] and str(editions.get(speaks)) in lines[0], lines[0]


@pytest.mark.parametrize("edition", editions.ids())
def test_a_token_whose_user_lacks_the_permission_ends_the_run_in_one_line_and_leaves_nothing(
    edition: str, run_suite: RunSuite, tmp_path: Path
) -> None:
    """delete-credential.md, Permissions: the first create is refused; the line names the permission needed."""
    with GatewayServer(token=TOKEN, edition=editions.get(edition), permitted=False) as server:
        before = {project: server.gateway.usernames(project) for project in server.gateway.projects}
        run = run_suite("contracts/scenarios", *live(server.url, "--api-proxy", "MyAPI"), "-p", "no:randomly",
                        env={"APIOPS_TOKEN": TOKEN})
        after = {project: server.gateway.usernames(project) for project in server.gateway.projects}
    assert run.returncode == 4, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if "lacks the permission" in line]
    assert len(lines) == 1 and "Traceback" not in run.output, run.output[-3000:]
    assert editions.get(edition).permissions in lines[0]
    assert before == after, "a refused run left something behind"


def test_drift_between_recordings_of_different_editions_is_breaking_and_named_so() -> None:
    """Drift: an upgrade that moves the gateway to another edition's wire format breaks every client of the
    baseline's; the same edition twice is no drift."""
    older, newer = recording.default_dir(OLDER), recording.default_dir(NEWER)
    changed = drift.compare(older, newer)
    named = [d for d in changed.differences if d.aspect == "edition"]
    assert len(named) == 1 and named[0].breaking, [d.aspect for d in changed.differences][:5]
    assert OLDER in named[0].change and NEWER in named[0].change
    assert not [d for d in drift.compare(newer, newer).differences if d.breaking]


@responses.activate
def test_evidence_that_conflicts_ends_the_run_in_one_line_that_names_it_and_says_how_to_pin() -> None:
    """--edition auto: a credential list in one edition's envelope and a refusal in another's decide nothing."""
    api = "https://gw.example.com/apiops"
    call = f"{api}/projects/MyProject/credentials/"
    wrong = matchers.header_matcher({"Authorization": f"Bearer {WRONG_TOKEN}"})
    responses.get(call, json={"status": "FAILURE", "resultMessage": "Token is not valid!"}, status=401, match=[wrong])
    responses.get(call, json={"success": True, "resultList": []})
    token = Secret("conflict-token")
    settings = Settings(target="live", project="MyProject", token=token, manager_url="https://gw.example.com",
                        published_spec="off")
    client = ApiClient(api, token, Namespace("abc123"), projects={"MyProject"})
    with pytest.raises(PreflightError) as caught:
        preflight(Target(settings=settings, api_url=api, client=client, namespace=client.namespace, token=token))
    message = str(caught.value)
    assert "decide no edition" in message and "\n" not in message
    assert f"{OLDER} ({{success: True, resultList}})" in message
    assert re.search(rf"a refusal\): [^(]*\b{NEWER}\b[^(]* \({{status: 'FAILURE'", message), message
    assert "--edition {" in message


def test_the_environments_list_is_read_where_the_gateways_own_description_declares_it() -> None:
    """get-environments-by-project.md moved between editions; a Manager's description (springdoc names the
    operation findForProject) says where its route is, with /apiops in its path keys."""
    described = {"openapi": "3.0.1", "paths": {"/apiops/environments/{projectName}": {
        "get": {"operationId": "findForProject", "responses": {"200": {"description": "ok"}}}}}}
    assert published.supporting_paths(described, SUPPORTING_PATHS) == {
        "getEnvironmentsByProject": "/environments/{projectName}"}
    assert published.supporting_paths({"paths": {}}, SUPPORTING_PATHS) == {}


# -- editions of one envelope, told apart by the answers the preflight may ask ------------------------------------
def _variant(of: str, name: str) -> editions.Edition:
    """An edition like ``of`` but for one answer's status (one no edition gives it), as a third edition file would
    be."""
    edition = editions.get(of)
    status = next(status for status in (404, 410, 409, 422, 418)
                  if all(other.answer(name).status != status for other in editions.all_editions()))
    moved = dataclasses.replace(edition.answer(name), status=status)
    return dataclasses.replace(edition, id=f"{of}-{name}-{status}", answers={**edition.answers, name: moved})


def _add(monkeypatch: pytest.MonkeyPatch, edition: editions.Edition) -> None:
    """The shipped editions and ``edition``, for this test only (as if its file were in contracts/editions/)."""
    everyone = {**{e.id: e for e in editions.all_editions()}, edition.id: edition}
    monkeypatch.setattr(editions, "_all", lambda: everyone)


def _choose_against(speaks: editions.Edition) -> tuple[editions.Edition, list[str]]:
    """Preflight of an --edition auto run against the reference gateway speaking ``speaks``, over loopback HTTP."""
    with GatewayServer(token=TOKEN, edition=speaks) as server:
        api = f"{server.url}/apiops"
        settings = Settings(target="live", project="MyProject", token=Secret(TOKEN), manager_url=server.url)
        client = ApiClient(api, Secret(TOKEN), Namespace("abc123"), projects={"MyProject"})
        target = Target(settings=settings, api_url=api, client=client, namespace=client.namespace,
                        token=Secret(TOKEN))
        preflight(target)
        return target.edition, target.evidence


def test_editions_of_one_envelope_are_told_apart_by_the_unknown_projects_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A third edition that differs from another only in the unknown project's status: a GET of a project that
    does not exist (read-only) tells them apart, whichever the gateway speaks."""
    newer = editions.get(NEWER)
    other = _variant(NEWER, rules.UNKNOWN_PROJECT)
    _add(monkeypatch, other)
    for speaks in (newer, other):
        chosen, evidence = _choose_against(speaks)
        assert chosen == speaks, evidence
        assert any("no such project" in line for line in evidence), evidence


def test_editions_that_nothing_read_only_tells_apart_end_the_run_in_one_line_that_says_how_to_pin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A third edition that differs only in an answer the preflight may not ask (the missing credential's: a DELETE)
    cannot be chosen by --edition auto: one line says so and how to pin each."""
    other = _variant(NEWER, rules.MISSING_CREDENTIAL)
    _add(monkeypatch, other)
    with pytest.raises(PreflightError) as caught:
        _choose_against(editions.get(NEWER))
    message = str(caught.value)
    assert "cannot be told apart" in message and "\n" not in message, message
    assert f"--edition {NEWER}" in message and f"--edition {other.id}" in message, message
