"""The one judge: every answer of the credential path held to the rulebook (contracts/rules.py) and openapi.yaml.

The judge watches the client's session (:class:`~contracts.http.session.ContractSession` observers), so
no test can forget it: every answer the suite receives for ``/projects/{projectName}/credentials/
{username}/``, whatever the method, from a scenario or a generated case, is handed to every
per-answer check of the rulebook (contracts/answer_checks.py, each registered for its rule): the
rules every answer keeps (a documented status and body, the error format, no echoed token, the
time budget) and the rule the request itself calls for (the token is required, 405, a rejection
of a malformed name).

The clean-up's requests are the only ones judged aside (:meth:`Judge.aside`).

A verdict is recorded in the running test's :class:`Ledger` when the answer arrives (the rules
that held, those that failed, those that failed but are waived as known deviations), and raised
at the next point the test looks at that answer (:meth:`Judge.expect`, :meth:`Judge.that`,
:meth:`Judge.raise_pending`), or when the test body ends: a test's own expectation speaks first.
The time budget is raised only when the body ends: slowness belongs to the gateway, and a
generated test must not shrink over inputs that are all slow. A failure is a
:class:`RuleViolation`, whose message begins with the rule's id, statement and public address.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from contracts import answer_checks, editions, rules, stack
from contracts.answer_checks import Answered, other_edition
from contracts.client import answer_line
from contracts.editions import Answer, Edition
from contracts.http.answer import leaks, undecodable
from contracts.http.auth import presents_the_token
from contracts.http.errors import GatewayMisbehaved, NoAnswerInTime
from contracts.redaction import redact
from contracts.rules import Rule
from contracts.spec import OPERATION, Contract
from contracts.stack import Routing, StackAnswer


class RuleViolation(AssertionError):
    """A rule of the rulebook does not hold. The message begins with the rule's headline (in ``edition``'s pages)."""

    def __init__(self, rule: Rule, detail: str, edition: Edition | None = None, *,
                 response: requests.Response | None = None, found: str | None = None,
                 expected: str | None = None) -> None:
        self.rule = rule
        self.detail = redact(detail)
        # For the failure's short form (contracts/plugin/failures.py): the answer judged, what was wrong with it,
        # and what the rule expected instead, when the judge knows them.
        self.response, self.found, self.expected = response, redact(found or detail), expected
        super().__init__(f"{rule.headline(edition)}\n{self.detail}")


@dataclass
class Ledger:
    """What one test saw of the rules."""

    nodeid: str
    declared: list[Rule] = field(default_factory=list)
    held: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    deviations: dict[str, str] = field(default_factory=dict)
    pending: list[tuple[int, RuleViolation]] = field(default_factory=list)  # (id of the answer, violation)
    deferred: dict[str, RuleViolation] = field(default_factory=dict)  # raised when the test body ends
    failure_rules: dict[int, Rule] = field(default_factory=dict)  # id(a schemathesis failure) -> its rule

    def hold(self, rule: Rule) -> None:
        self.held[rule.id] = self.held.get(rule.id, 0) + 1

    def fail(self, violation: RuleViolation) -> None:
        self.failed.setdefault(violation.rule.id, violation.detail)

    def deviate(self, rule: Rule, detail: str) -> None:
        self.deviations.setdefault(rule.id, redact(detail))

    def gave_up(self, rule: Rule) -> bool:
        """Whether ``rule`` already failed in a way more examples would only repeat (it is deferred)."""
        return rule.id in self.deferred

    def raise_pending(self, answer: object | None = None) -> None:
        """The first violation not raised yet (of ``answer``'s verdict, or of any)."""
        mine = [violation for key, violation in self.pending if answer is None or key == id(answer)]
        self.pending = [(key, violation) for key, violation in self.pending
                        if not (answer is None or key == id(answer))]
        if mine:
            raise mine[0]

    def raise_deferred(self) -> None:
        """At the end of the test body: what was judged but not raised yet, if anything."""
        self.raise_pending()
        for violation in self.deferred.values():
            raise violation


_ledger: contextvars.ContextVar[Ledger | None] = contextvars.ContextVar("apiops_ledger", default=None)
_aside: contextvars.ContextVar[bool] = contextvars.ContextVar("apiops_judge_aside", default=False)


@contextlib.contextmanager
def recording_into(ledger: Ledger) -> Iterator[Ledger]:
    """Observations go into ``ledger`` while the block runs (the plugin wraps each test)."""
    token = _ledger.set(ledger)
    try:
        yield ledger
    finally:
        _ledger.reset(token)


def current() -> Ledger:
    """The running test's ledger; outside a test, a throwaway one."""
    return _ledger.get() or Ledger("(outside a test)")


def answer_problems(answer: Answer, edition: Edition, response: requests.Response,
                    names: dict[str, str]) -> list[str]:
    """How ``response`` differs from the expected ``answer``: status, the edition's failure envelope and code,
    the names its message must name."""
    if response.status_code != answer.status:
        return [f"expected {answer.status}, but {answer_line(response)}"]
    if answer.status < 400 and not answer.names():
        return []
    try:
        body = response.json()
    except ValueError:
        return [f"expected a JSON body, but {answer_line(response)}"]
    if not isinstance(body, dict):
        return [f"expected a JSON object, but {answer_line(response)}"]
    problems = []
    if answer.status >= 400 and not edition.is_failure(body):
        problems.append(f"the body is not a failure of the {edition} edition ({_envelope(edition)}): "
                        f"{answer_line(response)}")
        problems += other_edition(edition, body, failure=True)
    if answer.code is not None and edition.code(body) != answer.code:
        problems.append(f"`{edition.envelope.code}` is {edition.code(body)!r}, expected {answer.code!r}")
    description = str(edition.message(body) or "")
    for name in answer.names():
        value = names.get(name)
        if value is not None and value not in description:
            problems.append(f"`{edition.envelope.message}` does not name the {name} {value!r}: {description[:200]!r}")
    return problems


def _envelope(edition: Edition) -> str:
    fields = [*(f"{key}: {value}" for key, value in edition.envelope.failure.items()),
              *[name for name in (edition.envelope.code, edition.envelope.message) if name]]
    return "{" + ", ".join(fields) + "}"


class Judge:
    judges = True  # the session does not hand it redirects: :meth:`translate` judges those

    def __init__(self, contract: Contract, budget: float, waived: Callable[[str], bool] = lambda _: False,
                 api_path: str = "", operation_id: str = OPERATION, edition: Edition | None = None,
                 stack_seen: dict[str, str] | None = None, routing: Routing | None = None) -> None:
        self.contract, self.budget, self.waived, self.api_path = contract, budget, waived, api_path
        self.edition = edition or editions.base()  # the edition the run holds the gateway to
        self.operation_id = operation_id  # the operation under contract
        self.template = contract.operations[operation_id].path
        # The answers of the Manager's HTTP stack (contracts/stack.py): cause -> first example, for the summary.
        self.stack_seen = stack_seen if stack_seen is not None else {}
        self.routing = routing  # what the run learned its Manager's stack refuses in a path

    # -- watching the session ---------------------------------------------------------------------------
    def __call__(self, response: requests.Response) -> None:
        """Session observer: every answer of the credential path, unless judged aside."""
        if not _aside.get() and self.judged(response):
            self.every_answer(response)

    def judged(self, response: requests.Response) -> bool:
        found = self.contract.resource(str(response.request.url), self.api_path)
        return found is not None and found[0] == self.template

    @contextlib.contextmanager
    def aside(self) -> Iterator[None]:
        """The clean-up's requests: not answers under test."""
        token = _aside.set(True)
        try:
            yield
        finally:
            _aside.reset(token)

    def stack_answer(self, response: requests.Response) -> StackAnswer | None:
        """The Manager's HTTP stack's own answer this is (contracts/stack.py), or None: the Manager's code's."""
        return stack.recognise(str(response.request.method), str(response.request.url), response.status_code,
                               response.headers, response.text, self.contract.methods(self.template), self.routing)

    def verdicts(self, response: requests.Response) -> list[tuple[Rule, list[str]]]:
        """Every rule an answer of the credential path is held to, with how ``response`` breaks it (empty: holds):
        the verdicts of every per-answer check (contracts/answer_checks.py), in the order they are registered."""
        seen = Answered(response, self.contract, self.edition, self.operation_id, self.api_path, self.budget,
                        leaks(response), presents_the_token(response.request.headers.get("Authorization")),
                        self.stack_answer(response), undecodable(response))
        if seen.stack is not None:
            self.stack_seen.setdefault(seen.stack.cause, f"{response.request.method} "
                                                         f"{redact(stack.raw_path(str(response.url)))} answered "
                                                         f"{response.status_code}; {seen.stack.source}")
        return [(rules.get(rule_id), problems) for rule_id, check in answer_checks.CHECKS.items()
                for problems in check(seen)]

    def every_answer(self, response: requests.Response) -> None:
        """Judge every rule now (each failure is recorded); raise them when the test next looks (pending)."""
        for rule, problems in self.verdicts(response):
            self.settle(rule, problems, response, defer=rule is rules.TIMELY, pend=True)

    def raise_pending(self, response: requests.Response | None = None) -> None:
        """Raise the judge's first unraised violation of ``response`` (or of any answer)."""
        current().raise_pending(response)

    def translate(self, request: requests.PreparedRequest, failure: GatewayMisbehaved) -> BaseException:
        """What a request of the credential path that got no usable answer breaks (the session raises it)."""
        found = self.contract.resource(str(request.url), self.api_path)
        if _aside.get() or found is None or found[0] != self.template:
            return failure
        rule = rules.TIMELY if isinstance(failure, NoAnswerInTime) else rules.DOCUMENTED
        try:
            self.settle(rule, [str(failure)])
        except RuleViolation as violation:
            return violation
        return failure  # waived: the test still has no answer to go on with

    # -- a test's own expectations -------------------------------------------------------------------------
    def expect(self, response: requests.Response, rule: Rule, answer: Answer | None = None) -> dict[str, Any]:
        """Hold ``response`` to ``rule``'s expected answer (or ``answer``); its JSON body, or {}.

        The test's own rule speaks first; then whatever else the judge found in that answer.
        """
        expected = answer or (self.edition.answer(rule) if rule.answer else None)
        assert expected is not None, f"{rule.id} has no expected answer: pass one"
        if undecodable(response):  # nothing in it to hold to the test's rule: the body is the one diagnosis
            self.raise_pending(response)
        route = self.contract.route(str(response.request.method), str(response.request.url), self.api_path)
        self.settle(rule, answer_problems(expected, self.edition, response, route.parameters if route else {}),
                    response, stop=True, expected=_expected_line(expected, route.parameters if route else {}))
        self.raise_pending(response)
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def that(self, rule: Rule, holds: bool, detail: str) -> None:
        """A test's own check of ``rule``: ``detail`` says what was seen when it does not hold."""
        self.settle(rule, [] if holds else [detail], stop=True)
        self.raise_pending()

    def settle(self, rule: Rule, problems: list[str], response: requests.Response | None = None,
               *, defer: bool = False, stop: bool = False, pend: bool = False, expected: str | None = None) -> None:
        """Record how ``rule`` fared; raise when it failed, unless waived, deferred or pending.

        A waived rule that fails is recorded as a deviation. ``stop``: the test cannot go on from a
        waived failure (its next steps build on the expected answer), so it ends there, reported
        as the known deviation (an xfail).
        """
        ledger = current()
        if not problems:
            ledger.hold(rule)
            return
        detail = "; ".join(problems)
        if response is not None and not detail.startswith("expected"):
            detail = f"{response.request.method} {redact(str(response.url))} answered {response.status_code}: {detail}"
        if self.waived(rule.id):
            ledger.deviate(rule, detail)
            if stop:
                pytest.xfail(f"deviation {rule.id}: {detail}")
            return
        violation = RuleViolation(rule, detail, self.edition, response=response, found="; ".join(problems),
                                  expected=expected)
        ledger.fail(violation)
        if defer:
            ledger.deferred.setdefault(rule.id, violation)
        elif pend:
            ledger.pending.append((id(response), violation))
        else:
            raise violation


def _expected_line(answer: Answer, names: dict[str, str]) -> str:
    """An expected answer in one line, for a failure's short form: ``400 bad_request "Project (p) ..."``."""
    message = answer.text(**names)
    return " ".join(part for part in (str(answer.status), answer.code or "", f'"{message}"' if message else "")
                    if part)
