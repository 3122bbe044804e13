"""Every per-answer check (contracts/answer_checks.py) is load-bearing, and reads only what it declares and a
recording keeps.

For each registered check, one answer built here that breaks its rule and nothing the check does not judge, held
to the judge (milliseconds, no run of the suite); a clean answer beside them breaks no rule. The mutation test
switches each registered check off in turn (a no-op in its place) and requires one of these tests to fail: a check
no test needs is either redundant or unproven, and a new check without an answer that breaks it fails here.

Each check declares what of an answer it reads (headers by name, the status, the body, the time...) and a recording
keeps exactly that (contracts/recording.py derives what it drops): watched while it judges each answer here, a
check that reads what it does not declare fails, and so does a declared read a recording would drop. A check that
read the ``Server`` header undeclared would pass live and be silently skipped on replay.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from contracts import answer_checks, editions
from contracts.http.answer import leaks, settle
from contracts.http.auth import presents_the_token
from contracts.judge import Judge
from contracts.recording import Interaction
from contracts.redaction import PLACEHOLDER
from contracts.spec import load

EDITION = editions.base()
BUDGET = 1.0  # seconds to the last byte
API = "http://manager.test/apiops"
CREDENTIAL = f"{API}/projects/MyProject/credentials/apiops-ct-x-cred-1/"
TOKEN = "unit-test-token-4b8e2d6f1a"  # a presented token long enough to be found when echoed


def success() -> dict[str, Any]:
    """The edition's answer to a DELETE that deleted: an undeployment from every environment."""
    return EDITION.deployment_result(["prod"], "Credential deleted", "Undeployed")


def answer(method: str = "DELETE", status: int = 200, body: Any = None, *, url: str = CREDENTIAL,
           token: str | None = PLACEHOLDER, content_type: str = "application/json", elapsed: float = 0.005,
           headers: dict[str, str] | None = None) -> requests.Response:
    """An answer as the client hands it to the judge, made whole by the transport (contracts/http/answer.py): an
    echoed token found and scrubbed, the suite's own token shown as the placeholder."""
    request = requests.Request(method, url, headers={"Authorization": f"Bearer {token}"} if token else {}).prepare()
    text = body if isinstance(body, str) else json.dumps(success() if body is None else body)
    response = requests.Response()
    response.status_code, response.request, response.url, response.reason = status, request, url, "Reason"
    response.raw = urllib3.HTTPResponse(body=io.BytesIO(), headers={"Content-Type": content_type, **(headers or {})},
                                        status=status, preload_content=False)
    settle(response, text.encode(), elapsed)
    if token == TOKEN:
        response.request.headers["Authorization"] = f"Bearer {PLACEHOLDER}"  # the suite's token, as handed back
    return response


def failed(response: requests.Response) -> dict[str, list[str]]:
    """The rules the judge finds ``response`` breaks, with how."""
    judge = Judge(load(EDITION), BUDGET, api_path="/apiops", edition=EDITION)
    return {rule.id: problems for rule, problems in judge.verdicts(response) if problems}


# Each registered check's rule, and an answer that breaks it.
BREAKING: dict[str, Callable[[], requests.Response]] = {
    "no-answer-carries-the-token": lambda: answer(token=TOKEN, headers={"X-Echo": TOKEN}),
    "undeclared-methods-are-not-allowed": lambda: answer("POST"),  # the path declares DELETE and PATCH
    "a-valid-token-is-required": lambda: answer(token=None),
    # base-url.md: no whitespace in a name; a gateway that deletes "a b" instead of rejecting it
    "malformed-names-are-rejected": lambda: answer(url=f"{API}/projects/MyProject/credentials/apiops-ct-x%20b/"),
    "every-answer-is-documented": lambda: answer(body={"success": True}),
    "errors-follow-the-error-format": lambda: answer(status=404, body="Not Found", content_type="text/plain"),
    "answers-within-the-time-budget": lambda: answer(elapsed=BUDGET + 1.5),
}


def test_a_clean_answer_breaks_no_rule() -> None:
    """What the breaking answers differ from: each of them breaks its rule by what it changes here."""
    assert failed(answer()) == {}


@pytest.mark.parametrize("rule_id", BREAKING)
def test_the_judge_names_the_rule_an_answer_breaks(rule_id: str) -> None:
    found = failed(BREAKING[rule_id]())
    assert rule_id in found, f"{rule_id} not named: {found}"


def unit_tests() -> Iterator[tuple[str, Callable[[], None]]]:
    """This module's unit-level tests, each as one call."""
    yield "test_a_clean_answer_breaks_no_rule", test_a_clean_answer_breaks_no_rule
    for rule_id in BREAKING:
        yield (f"test_the_judge_names_the_rule_an_answer_breaks[{rule_id}]",
               functools.partial(test_the_judge_names_the_rule_an_answer_breaks, rule_id))


def switched_off(seen: answer_checks.Answered) -> Iterator[list[str]]:
    yield []  # the rule holds, whatever the answer


def failing_with_one_switched_off(rule_id: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The unit-level tests that fail when ``rule_id``'s check finds nothing."""
    mutated = answer_checks.Registry()
    for registered, check in answer_checks.CHECKS.items():
        declared = answer_checks.CHECKS.reads(registered)
        mutated.register(registered, declared)(switched_off if registered == rule_id else check)
    failing = []
    with monkeypatch.context() as patched:
        patched.setattr(answer_checks, "CHECKS", mutated)  # the judge reads the registry at every answer
        for name, test in unit_tests():
            try:
                test()
            except AssertionError:
                failing.append(name)
    return failing


def test_every_registered_check_is_needed_by_a_unit_level_test(monkeypatch: pytest.MonkeyPatch) -> None:
    needed = {rule_id: failing_with_one_switched_off(rule_id, monkeypatch)
              for rule_id, _ in answer_checks.CHECKS.items()}
    assert all(needed.values()), f"switched off, these checks fail no unit-level test: " \
                                 f"{[rule_id for rule_id, tests in needed.items() if not tests]}"
    assert not failing_with_one_switched_off("(none)", monkeypatch)  # unmutated, every test passes


def test_a_check_no_test_needs_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutation test can fail: with its breaking answer gone, the time budget's check is needed by nothing."""
    monkeypatch.delitem(BREAKING, "answers-within-the-time-budget")
    assert failing_with_one_switched_off("answers-within-the-time-budget", monkeypatch) == []
    assert failing_with_one_switched_off("malformed-names-are-rejected", monkeypatch) != []


# -- what a check reads, a recording keeps ---------------------------------------------------------------------
class WatchedHeaders(CaseInsensitiveDict[str]):
    """Response headers that note each one read, by name ("*": all of them, iterated)."""

    seen: set[str]

    def __getitem__(self, key: str) -> str:
        self.seen.add(f"header {key.lower()}")
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.seen.add(f"header {str(key).lower()}")
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self.seen.add("header *")
        return super().__iter__()


class WatchedResponse(requests.Response):
    """A response that notes which of its aspects are read."""

    ASPECTS = {"status_code": "status", "reason": "reason", "elapsed": "elapsed", "content": "body", "text": "body",
               "json": "body", "_content": "body"}
    seen: set[str]

    def __getattribute__(self, name: str) -> Any:
        aspect = WatchedResponse.ASPECTS.get(name)
        if aspect is not None:
            object.__getattribute__(self, "seen").add(aspect)
        return super().__getattribute__(name)


class WatchedAnswer(answer_checks.Answered):
    """What the judge hands a check, noting when the check reads the stack's verdict or the token's leaks."""

    def __getattribute__(self, name: str) -> Any:
        if name in ("stack", "leaks"):
            object.__getattribute__(self, "response").seen.add(name)
        return super().__getattribute__(name)


def aspects(declared: answer_checks.Reads) -> set[str]:
    """A declaration as the names the watch notes."""
    return ({aspect for aspect in ("status", "reason", "body", "elapsed") if getattr(declared, aspect)}
            | {f"header {name}" for name in declared.headers} | ({"header *"} if declared.every_header else set()))


def watched(response: requests.Response) -> WatchedResponse:
    seen = WatchedResponse()
    vars(seen).update(vars(response))
    seen.seen = set()
    headers = WatchedHeaders(response.headers)
    headers.seen = seen.seen  # the response's and its headers' reads, together
    seen.headers = headers
    return seen


def undeclared_reads(rule_id: str, check: answer_checks.Check, response: requests.Response) -> set[str]:
    """What ``check`` read of ``response`` that its rule's declaration does not name (the stack's recognition and the
    token's leaks counted as what they read, when the check reads them)."""
    judge = Judge(load(EDITION), BUDGET, api_path="/apiops", edition=EDITION)
    seen = watched(response)
    found = judge.stack_answer(seen)
    stack_read = set(seen.seen)
    seen.seen.clear()  # shared with its headers
    answered = WatchedAnswer(seen, judge.contract, EDITION, judge.operation_id, "/apiops", BUDGET, leaks(response),
                             presents_the_token(response.request.headers.get("Authorization")), found)
    list(check(answered))
    read = set(seen.seen)
    if "stack" in read:
        read |= stack_read
    if "leaks" in read:
        read |= aspects(answer_checks.LEAKS)
    return read - {"stack", "leaks"} - aspects(answer_checks.CHECKS.reads(rule_id))


# Beside the answers above, the Manager's HTTP stack's own (contracts/stack.yaml), which the judge tells apart by what
# else they carry: the Allow of an OPTIONS, the closed connection of a firewall refusal without a body.
WATCHED: dict[str, Callable[[], requests.Response]] = {
    "clean": answer, **BREAKING,
    "options": lambda: answer("OPTIONS", body="", headers={"Allow": "DELETE, PATCH, OPTIONS, HEAD"}),
    "firewall-refusal": lambda: answer(status=400, body="", headers={"Connection": "close"},
                                       url=f"{API}/projects/MyProject/credentials/apiops-ct-x%3bb/"),
}


@pytest.mark.parametrize("rule_id", BREAKING)
def test_each_check_reads_of_an_answer_only_what_it_declares(rule_id: str) -> None:
    check = answer_checks.CHECKS.get(rule_id)
    assert check is not None
    for name, build in WATCHED.items():
        assert not undeclared_reads(rule_id, check, build()), f"{rule_id} reads, of the {name} answer, undeclared"


def test_a_check_that_reads_a_header_it_does_not_declare_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure this guards against: a rule on the Server header, which recordings drop as volatile."""
    def reveals_no_version(seen: answer_checks.Answered) -> Iterator[list[str]]:
        yield ["the answer names the server's version"] if "/" in seen.response.headers.get("Server", "") else []

    registry = answer_checks.Registry()
    registry.register("no-answer-reveals-the-version", answer_checks.reads(status=True))(reveals_no_version)
    monkeypatch.setattr(answer_checks, "CHECKS", registry)
    response = answer(headers={"Server": "Apache-Coyote/1.1"})
    assert undeclared_reads("no-answer-reveals-the-version", reveals_no_version, response) == {"header server"}


def recorded(response: requests.Response) -> Interaction:
    return Interaction.capture(response, API)


def test_a_recording_keeps_every_header_a_check_reads_volatile_or_not() -> None:
    declared = answer_checks.CHECKS.reads()
    response = answer(headers={name: f"value of {name}" for name in declared.headers})
    kept = {name.lower() for name in recorded(response).response_headers}
    assert declared.headers <= kept, declared.headers - kept
    assert "connection" in declared.headers  # the firewall's refusal closes the connection (contracts/stack.yaml)


def test_a_recording_keeps_a_volatile_header_once_a_check_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Derived, not a hand list: the rule on the Server header above, declared, is judged on replay too."""
    response = answer(headers={"Server": "Apache-Coyote/1.1"})
    assert "Server" not in recorded(response).response_headers  # volatile, read by no check
    registry = answer_checks.Registry()
    for rule_id, check in answer_checks.CHECKS.items():
        registry.register(rule_id, answer_checks.CHECKS.reads(rule_id))(check)
    registry.register("no-answer-reveals-the-version", answer_checks.reads("Server"))(switched_off)
    monkeypatch.setattr(answer_checks, "CHECKS", registry)
    assert recorded(response).response_headers["Server"] == "Apache-Coyote/1.1"


def test_a_recording_keeps_a_volatile_header_that_echoed_the_token() -> None:
    """The token check reads every header: where the token was echoed stays in the recording, as the placeholder."""
    interaction = recorded(answer(token=TOKEN, headers={"Server": f"echo {TOKEN}", "Date": "today"}))
    assert interaction.response_headers.get("Server") == f"echo {PLACEHOLDER}" and "Date" not in \
        interaction.response_headers


def test_a_recording_keeps_every_other_aspect_a_check_reads() -> None:
    """The status, the body and the time are recorded; the status line's reason is not, so no check may read it."""
    declared = answer_checks.CHECKS.reads()
    assert not declared.reason
    interaction = recorded(answer(elapsed=0.4))
    assert (interaction.status, interaction.response_body, interaction.elapsed_ms) == (200, success(), 400)
