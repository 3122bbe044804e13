"""Every per-answer check (contracts/answer_checks.py) is load-bearing: switched off, a unit-level test fails.

For each registered check, one answer built here that breaks its rule and nothing the check does not judge, held
to the judge (milliseconds, no run of the suite); a clean answer beside them breaks no rule. The mutation test
switches each registered check off in turn (a no-op in its place) and requires one of these tests to fail: a check
no test needs is either redundant or unproven, and a new check without an answer that breaks it fails here.
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

from contracts import answer_checks, editions
from contracts.http.answer import settle
from contracts.judge import Judge
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
        mutated.register(registered)(switched_off if registered == rule_id else check)
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
