"""The Manager's HTTP stack (contracts/stack.yaml, docs/stack.md): its own answers are
told from the Manager's and held to HTTP's rules; the run never creates a credential the stack would not let it
delete.

Unit level: the judge on answers built here (milliseconds). End to end: the contract suite against the reference
gateway on the stack with Spring Security's firewall on, in every edition: only
``special-characters-are-percent-encoded`` fails, naming the refused characters, and the gateway's own list holds
nothing of the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from contracts import editions, rules, stack
from contracts.gateway.server import GatewayServer
from contracts.judge import Judge
from contracts.naming import PREFIX
from contracts.redaction import PLACEHOLDER
from contracts.spec import load
from tests.conftest import TOKEN, RunSuite, live

PATH = "http://manager.test/apiops/projects/MyProject/credentials/apiops-ct-x-cred-1/"
BOOT = "spring-boot-error-page"


def answer(method: str, status: int, *, url: str = PATH, allow: str | None = None, body: object = BOOT,
           close: bool = False) -> requests.Response:
    """An answer as the client hands it to the judge (the suite's own token shows as the placeholder): ``body`` BOOT
    is Spring Boot's error body for ``status``."""
    request = requests.Request(method, url, headers={"Authorization": f"Bearer {PLACEHOLDER}"}).prepare()
    response = requests.Response()
    response.status_code, response.request, response.url = status, request, url
    response.elapsed = timedelta(milliseconds=5)
    if body == BOOT:
        body = stack.load().error_page(status, request.path_url)
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    if allow is not None:
        response.headers["Allow"] = allow
    if close:
        response.headers["Connection"] = "close"
    return response


@pytest.fixture(scope="module", params=editions.ids())
def judge(request: pytest.FixtureRequest) -> Judge:
    edition = editions.get(request.param)
    return Judge(load(edition), 5.0, api_path="/apiops", edition=edition)


def kind(judge: Judge, response: requests.Response) -> str | None:
    """Which of the stack's answers this is, or None: the Manager's."""
    found = judge.stack_answer(response)
    return found.kind if found is not None else None


def failed(judge: Judge, response: requests.Response) -> dict[str, list[str]]:
    return {rule.id: problems for rule, problems in judge.verdicts(response) if problems}


# -- OPTIONS and 405: HTTP's Allow ---------------------------------------------------------------------------
def test_options_answered_by_the_framework_with_every_declared_method_passes(judge: Judge) -> None:
    """RFC 9110 section 9.3.7: a 200 to OPTIONS is correct; Spring MVC answers it with the mapped methods."""
    response = answer("OPTIONS", 200, allow="DELETE,PATCH,OPTIONS", body=None)
    assert failed(judge, response) == {}
    assert kind(judge, response) == stack.OPTIONS


@pytest.mark.parametrize("allow", ["DELETE, OPTIONS", "PATCH", "DELETE, PATCH, PUT"])
def test_options_whose_allow_omits_a_declared_method_or_adds_one_fails_the_method_rule(judge: Judge,
                                                                                      allow: str) -> None:
    """undeclared-methods-are-not-allowed: an Allow lists the declared methods (DELETE, PATCH), no others."""
    problems = failed(judge, answer("OPTIONS", 200, allow=allow, body=None))
    assert list(problems) == [rules.METHODS.id], problems


def test_the_frameworks_405_for_an_unmapped_method_is_held_to_allow_not_to_the_editions_envelope(
        judge: Judge) -> None:
    """A 405 of the stack carries Spring Boot's error body: no error-format failure, but its Allow must be right."""
    assert failed(judge, answer("PUT", 405, allow="DELETE, PATCH")) == {}
    assert list(failed(judge, answer("PUT", 405, allow="DELETE"))) == [rules.METHODS.id]
    assert list(failed(judge, answer("PUT", 405))) == [rules.METHODS.id]


def test_the_managers_own_405_whose_allow_omits_a_declared_method_fails(judge: Judge) -> None:
    """A 405 in the edition's envelope is the Manager's: the same HTTP rule for its Allow."""
    body = judge.edition.failure_body("method_not_allowed", "PUT is not allowed")
    assert list(failed(judge, answer("PUT", 405, allow="DELETE", body=body))) == [rules.METHODS.id]
    assert failed(judge, answer("PUT", 405, allow="DELETE, PATCH", body=body)) == {}


def test_tomcats_trace_refusal_with_the_servlets_allow_is_the_containers_and_passes(judge: Judge) -> None:
    """Tomcat refuses TRACE itself (allowTrace=false) with the servlet's methods: not the path's, not the Manager's."""
    response = answer("TRACE", 405, allow=", ".join(stack.load().servlet_methods))
    assert failed(judge, response) == {}
    assert kind(judge, response) == stack.TRACE


# -- the firewall, and the Manager's own answers -------------------------------------------------------------
def test_the_firewalls_refusal_of_a_path_it_does_not_route_is_the_stacks(judge: Judge) -> None:
    """StrictHttpFirewall refuses ``%3B`` in a raw path with 400 and Spring Boot's body (or none, closing)."""
    url = PATH.replace("cred-1", "cred-1%3Bx")
    assert kind(judge, answer("DELETE", 400, url=url)) == stack.FIREWALL
    assert kind(judge, answer("DELETE", 400, url=url, body=None, close=True)) == stack.FIREWALL
    assert failed(judge, answer("DELETE", 400, url=url)) == {}


def test_spring_boots_error_body_to_a_request_the_stack_routes_is_the_managers_and_breaks_the_error_format(
        judge: Judge) -> None:
    """errors-follow-the-error-format: a real error-format fault is not taken for the stack's answer."""
    response = answer("DELETE", 400)  # a plain path: nothing for the firewall to refuse
    assert judge.stack_answer(response) is None
    assert rules.ERROR_FORMAT.id in failed(judge, response)


def test_a_405_to_trace_in_the_stacks_body_but_without_allow_fails(judge: Judge) -> None:
    """RFC 9110 section 15.5.6: a 405 carries Allow, whoever sends it."""
    assert list(failed(judge, answer("TRACE", 405))) == [rules.METHODS.id]


# -- end to end: the firewall on, in every edition --------------------------------------------------------
@pytest.fixture(params=editions.ids())
def firewalled(request: pytest.FixtureRequest) -> Iterator[GatewayServer]:
    with GatewayServer(token=TOKEN, edition=editions.get(request.param), firewall=True) as server:
        yield server


def test_behind_the_firewall_only_the_encoding_rule_fails_naming_the_refused_characters_and_nothing_is_left(
        firewalled: GatewayServer, run_suite: RunSuite, tmp_path: Path) -> None:
    """special-characters-are-percent-encoded fails once, naming `%` `;` `\\`; no other rule fails; the run created
    no credential it could not delete, so the gateway lists none of the run's without any clean-up."""
    report = tmp_path / "report.json"
    edition = firewalled.gateway.edition.id
    run = run_suite("contracts/scenarios", "contracts/properties", "--hypothesis-profile", "ci", "-rf",
                    *live(firewalled.url, "--api-proxy", "MyAPI", "--edition", edition), f"--report-json={report}",
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-3000:]
    document = json.loads(report.read_text(encoding="utf-8"))
    assert {rule["id"] for rule in document["rules"] if rule["outcome"] == "failed"} == {rules.ENCODED.id}
    assert "refuses usernames with `%` `;` `\\`" in run.output, run.output[-3000:]
    assert run.output.count("FAILED ") == 1, run.output[-3000:]
    assert [name for name in firewalled.gateway.credentials if name.startswith(PREFIX)] == []
    assert "credentials left behind" not in run.output
    assert "Spring Security's StrictHttpFirewall" in run.output
