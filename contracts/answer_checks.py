"""The judge's per-answer checks: one small function a rule, registered for it in :data:`CHECKS`.

The judge (contracts/judge.py) hands every answer of the credential path it watches, whatever the
method, to every check here, in the order they are registered (the order of its verdicts: the first
failure is the one raised). A check yields how the answer breaks its rule (an empty list: it holds),
once for each thing it judges, or nothing where its rule does not apply to that answer.

The registry is keyed by rule id, at most one check a rule, and the rulebook reaches a rule's check
through it (``rule.check``, contracts/rules.py). In order:

- no echoed token, on every answer;
- the rule the request itself calls for: without the suite's token, the token is required; with a
  method the path does not declare, 405; with a malformed name, a rejection; else an accepted
  answer (what schemathesis' checks judge from how a case was generated, judged here from the
  request alone, so that a replay of a recording judges exactly as the live run did);
- a documented status and body, for a DELETE; the error format; the time budget.

An answer of the Manager's HTTP stack (its firewall, its container, its framework: contracts/stack.py)
is held to HTTP's own rules, not to the edition's: a 405 or an OPTIONS carries an ``Allow`` that lists
the declared methods; the time budget still holds.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import requests

from contracts import editions, stack
from contracts.editions import MISSING_CREDENTIAL, REFUSED_TOKEN, UNKNOWN_PROJECT, Edition
from contracts.spec import Contract, Route
from contracts.stack import StackAnswer

# What a request of the credential path is, for the rule it calls for.
Request = Literal["undeclared-method", "without-the-token", "malformed-name", "valid"]


@dataclass
class Answered:
    """One answer of the credential path, and what the judge knows of it: what every check reads."""

    response: requests.Response
    contract: Contract
    edition: Edition  # the edition the run holds the gateway to
    operation_id: str  # the operation under contract
    api_path: str
    budget: float  # seconds to the last byte (--max-response-time)
    leaks: list[str]  # where the answer carried the presented token
    ours: bool  # the request presented the suite's own token
    stack: StackAnswer | None  # the Manager's HTTP stack's own answer, or None: the Manager's code's
    undecodable: str | None = None  # why its body does not decode as it says (Content-Encoding, a BOM), or None

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def method(self) -> str:
        return str(self.response.request.method).upper()

    @functools.cached_property
    def route(self) -> tuple[str, Route]:
        found = self.contract.resource(str(self.response.request.url), self.api_path)
        assert found is not None  # the judge hands over only answers of the credential path
        return found

    @functools.cached_property
    def declared(self) -> set[str]:
        """The methods the credential path declares."""
        return self.contract.methods(self.route[0])

    @functools.cached_property
    def malformed(self) -> list[str]:
        """How the path's names break their schemas."""
        return self.contract.parameter_problems(self.operation_id, self.route[1].parameters)

    @functools.cached_property
    def request(self) -> Request | None:
        """What the request is, for the rule it calls for; None for an answer of the Manager's HTTP stack."""
        if self.stack is not None:
            return None
        if self.method not in self.declared:
            return "undeclared-method"
        if not self.ours:
            return "without-the-token"
        return "malformed-name" if self.malformed else "valid"


Check = Callable[[Answered], Iterator[list[str]]]


@dataclass(frozen=True)
class Reads:
    """What of an answer a check reads. A recording keeps all of it (contracts/recording.py derives the headers it
    drops from these), so that a replay judges exactly what the live run judged; tests/test_answer_checks.py
    fails when a check reads what it does not declare."""

    headers: frozenset[str] = frozenset()  # response headers read by name, lower case
    every_header: bool = False  # every header, whatever its name (where an echoed token was found)
    status: bool = False
    reason: bool = False  # the status line's reason phrase
    body: bool = False
    elapsed: bool = False  # the time to the last byte

    def __or__(self, other: Reads) -> Reads:
        return Reads(self.headers | other.headers, self.every_header or other.every_header,
                     self.status or other.status, self.reason or other.reason, self.body or other.body,
                     self.elapsed or other.elapsed)


def reads(*headers: str, every_header: bool = False, status: bool = False, reason: bool = False, body: bool = False,
          elapsed: bool = False) -> Reads:
    return Reads(frozenset(name.lower() for name in headers), every_header, status, reason, body, elapsed)


# What telling the Manager's HTTP stack's own answers apart reads (contracts/stack.py: its error page, the Allow it
# lists, the connection its firewall closes): read by every check that reads ``seen.stack`` or ``seen.request``.
STACK = reads("Allow", "Connection", status=True, body=True)
# Where the presented token was found when the answer arrived (``seen.leaks``): every header and the body.
LEAKS = reads(every_header=True, body=True)


class Registry:
    """Rule id -> its one per-answer check and what of an answer it reads, in the order registered."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._reads: dict[str, Reads] = {}

    def register(self, rule_id: str, declared: Reads) -> Callable[[Check], Check]:
        def add(check: Check) -> Check:
            if rule_id in self._checks:
                raise ValueError(f"{rule_id} already has a per-answer check, {self._checks[rule_id].__name__}")
            self._checks[rule_id], self._reads[rule_id] = check, declared
            return check
        return add

    def get(self, rule_id: str) -> Check | None:
        return self._checks.get(rule_id)

    def items(self) -> list[tuple[str, Check]]:
        return list(self._checks.items())

    def reads(self, rule_id: str | None = None) -> Reads:
        """What ``rule_id``'s check reads of an answer; without one, what any check reads."""
        if rule_id is not None:
            return self._reads[rule_id]
        return functools.reduce(Reads.__or__, self._reads.values(), Reads())


CHECKS = Registry()


# -- the checks, in the order the judge reads them ---------------------------------------------------------
@CHECKS.register("no-answer-carries-the-token", LEAKS)
def no_answer_carries_the_token(seen: Answered) -> Iterator[list[str]]:
    yield [f"the answer carries the presented token in: {', '.join(seen.leaks)}"] if seen.leaks else []


@CHECKS.register("undeclared-methods-are-not-allowed", STACK | reads("Allow", status=True))
def undeclared_methods_are_not_allowed(seen: Answered) -> Iterator[list[str]]:
    if seen.stack is not None:
        if seen.stack.kind != stack.FIREWALL:
            yield list(seen.stack.problems)
        return
    if seen.request != "undeclared-method":
        return
    if not seen.ours or seen.malformed:  # refused or rejected first: any 4xx will do
        yield [] if 400 <= seen.status < 500 else [f"{seen.method} (an undeclared method) answered {seen.status}, "
                                                   "not a 4xx"]
        return
    not_allowed = seen.edition.answer(editions.METHOD_NOT_ALLOWED).status
    if seen.status != not_allowed:
        yield [f"{seen.method} (an undeclared method) answered {seen.status}, not {not_allowed}"]
    else:
        yield stack.allow_problems(seen.response.headers.get("Allow"), seen.declared)


@CHECKS.register("a-valid-token-is-required", STACK | reads(status=True))
def a_valid_token_is_required(seen: Answered) -> Iterator[list[str]]:
    if seen.request == "without-the-token":
        expected = seen.edition.answer(REFUSED_TOKEN).status
        yield [] if seen.status == expected else [f"a request without the token ({_shown_authorization(seen)}) "
                                                  f"answered {seen.status}, not {expected}"]


@CHECKS.register("malformed-names-are-rejected", STACK | reads(status=True))
def malformed_names_are_rejected(seen: Answered) -> Iterator[list[str]]:
    if seen.request == "malformed-name":
        rejections = {seen.edition.answer(MISSING_CREDENTIAL).status, seen.edition.answer(UNKNOWN_PROJECT).status}
        yield [] if seen.status in rejections else [f"a malformed name ({seen.malformed[0]}) answered {seen.status}, "
                                                    f"not one of {', '.join(map(str, sorted(rejections)))}"]


@CHECKS.register("every-answer-is-documented", STACK | reads("Content-Type", status=True, body=True))
def every_answer_is_documented(seen: Answered) -> Iterator[list[str]]:
    """A valid request is accepted; a DELETE's answer is one openapi.yaml documents, in the run's edition. A body
    that does not decode as it says is the one diagnosis of its answer, whatever the method."""
    if seen.undecodable is not None:
        yield [f"the answer arrived, but {seen.undecodable}"]
        return
    if seen.stack is not None:
        return
    if seen.request == "valid":
        refused = seen.edition.answer(REFUSED_TOKEN).status
        yield [] if seen.status != refused else ["a valid request with the suite's token was refused"]
    if seen.method == "DELETE":
        problems = seen.contract.violations(seen.operation_id, seen.response)
        if problems and seen.status < 400:
            problems += other_edition(seen.edition, _json(seen.response), failure=False)
        yield problems


@CHECKS.register("errors-follow-the-error-format", STACK | reads("Content-Type", status=True, body=True))
def errors_follow_the_error_format(seen: Answered) -> Iterator[list[str]]:
    if seen.stack is None and seen.undecodable is None:  # a body that does not decode: every-answer-is-documented
        yield error_format_problems(seen.contract, seen.edition, seen.operation_id, seen.status,
                                    seen.response.headers.get("Content-Type"), seen.response.text)


@CHECKS.register("answers-within-the-time-budget", reads(elapsed=True))
def answers_within_the_time_budget(seen: Answered) -> Iterator[list[str]]:
    yield time_problems(seen.response.elapsed.total_seconds(), seen.budget)


# -- the rules every answer keeps, as plain functions of one answer (schemathesis' hooks reuse them) ---------
def error_format_problems(contract: Contract, edition: Edition, operation_id: str, status: int,
                          content_type: str | None, text: str) -> list[str]:
    """How an error answer (status >= 400) breaks the edition's error format (error-handling.md); empty when it
    conforms.

    The edition says which fields a failure carries (its markers, its message, its code field if it
    has one); the allowed codes are the contract document's for that status of the operation; a
    status the operation does not document (e.g. 405 for an undeclared method) is held to the format
    only. A body in another edition's format says so.
    """
    if status < 400:
        return []
    problems = []
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        problems.append(f"Content-Type is {content_type!r}, not application/json")
    try:
        body: Any = json.loads(text)
    except ValueError:
        return [*problems, "the body is not JSON"]
    if not isinstance(body, dict):
        return [*problems, f"the body is a JSON {type(body).__name__}, not an object"]
    envelope = edition.envelope
    for name in [name for name in (envelope.code, envelope.message) if name]:
        if name not in body:
            problems.append(f"`{name}` is missing")
        elif not isinstance(body[name], str):
            problems.append(f"`{name}` is {type(body[name]).__name__}, not a string")
    for name, value in envelope.failure.items():
        if body.get(name) != value:
            problems.append(f"`{name}` is {body.get(name)!r}, not {value!r}")
    documented = contract.documented_statuses(operation_id)
    allowed = contract.error_codes(operation_id, status, envelope.code) if status in documented else []
    code = body.get(envelope.code) if envelope.code else None
    if allowed and isinstance(code, str) and code not in allowed:
        problems.append(f"`{envelope.code}` is {code!r}; for {status} the contract allows {', '.join(allowed)}")
    if problems:
        problems += other_edition(edition, body, failure=True)
    return problems


def other_edition(edition: Edition, body: Any, *, failure: bool) -> list[str]:
    """Where ``body`` is in another edition's format: a line that says so (the run holds the gateway to one)."""
    if edition.is_failure(body) if failure else edition.is_success(body):
        return []
    return [f"the answer is in the {other} edition's format, but the run holds the gateway to the {edition} edition"
            for other in editions.recognise(body, failure)]


def time_problems(seconds: float, budget: float) -> list[str]:
    if seconds <= budget:
        return []
    return [f"took {seconds:.2f} s to the last byte, over the {budget:g} s budget "
            "(--max-response-time / APIOPS_MAX_RESPONSE_TIME)"]


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _shown_authorization(seen: Answered) -> str:
    value = seen.response.request.headers.get("Authorization")
    if value is None:
        return "no Authorization header"
    scheme = value.partition(" ")[0]
    return f"Authorization {scheme or '(empty)'} …"
