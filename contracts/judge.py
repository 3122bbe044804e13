"""The one judge: every answer of the credential path held to the rulebook (contracts/rules.py) and openapi.yaml.

The judge watches the client's session (:class:`~contracts.http.session.ContractSession` observers), so
no test can forget it: every answer the suite receives for ``/projects/{projectName}/credentials/
{username}/``, whatever the method, from a scenario or a generated case, is held to

- the rules every answer keeps (:data:`~contracts.rules.EVERY_ANSWER`): a documented status and
  body, the error format, no echoed token, the time budget;
- the rules the request itself calls for: without the suite's token, the token is required; with
  a method the path does not declare, 405; with a malformed name, a rejection; else an accepted,
  documented answer (what schemathesis' checks judge from how a case was generated, judged here
  from the request alone, so that a replay of a recording judges exactly as the live run did).

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
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from contracts import editions, rules, stack
from contracts.client import describe
from contracts.editions import Answer, Edition
from contracts.http.answer import leaks
from contracts.http.auth import presents_the_token
from contracts.http.errors import GatewayMisbehaved, NoAnswerInTime
from contracts.rules import Rule
from contracts.secrets import redact
from contracts.spec import OPERATION, Contract
from contracts.stack import Routing, StackAnswer


class RuleViolation(AssertionError):
    """A rule of the rulebook does not hold. The message begins with the rule's headline (in ``edition``'s pages)."""

    def __init__(self, rule: Rule, detail: str, edition: Edition | None = None) -> None:
        self.rule = rule
        self.detail = redact(detail)
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


# -- the rules every answer keeps, as plain functions of one answer -----------------------------------------
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


def answer_problems(answer: Answer, edition: Edition, response: requests.Response,
                    names: dict[str, str]) -> list[str]:
    """How ``response`` differs from the expected ``answer``: status, the edition's failure envelope and code,
    the names its message must name."""
    if response.status_code != answer.status:
        return [f"expected {answer.status}, but {describe(response)}"]
    if answer.status < 400 and not answer.names():
        return []
    try:
        body = response.json()
    except ValueError:
        return [f"expected a JSON body, but {describe(response)}"]
    if not isinstance(body, dict):
        return [f"expected a JSON object, but {describe(response)}"]
    problems = []
    if answer.status >= 400 and not edition.is_failure(body):
        problems.append(f"the body is not a failure of the {edition} edition ({_envelope(edition)}): "
                        f"{describe(response)}")
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
        """Every rule an answer of the credential path is held to, with how ``response`` breaks it (empty: holds).

        An answer of the Manager's HTTP stack (its firewall, its container, its framework) is held to HTTP's own
        rules, not to the edition's: a 405 or an OPTIONS carries an ``Allow`` that lists the declared methods.
        """
        where = leaks(response)
        status, method = response.status_code, str(response.request.method)
        verdicts = [(rules.TOKEN_NEVER_ECHOED, [f"the answer carries the presented token in: {', '.join(where)}"]
                     if where else [])]
        found = self.stack_answer(response)
        if found is not None:
            self.stack_seen.setdefault(found.cause, f"{method} {redact(stack.raw_path(str(response.url)))} answered "
                                                    f"{status}; {found.source}")
            if found.kind != stack.FIREWALL:
                verdicts.append((rules.METHODS, list(found.problems)))
            return [*verdicts, (rules.TIMELY, time_problems(response.elapsed.total_seconds(), self.budget))]
        verdicts += self.request_verdicts(response)
        if method == "DELETE":
            problems = self.contract.violations(self.operation_id, response)
            if problems and status < 400:
                problems += other_edition(self.edition, _json(response), failure=False)
            verdicts.append((rules.DOCUMENTED, problems))
        verdicts += [
            (rules.ERROR_FORMAT, error_format_problems(self.contract, self.edition, self.operation_id, status,
                                                       response.headers.get("Content-Type"), response.text)),
            (rules.TIMELY, time_problems(response.elapsed.total_seconds(), self.budget)),
        ]
        return verdicts

    def request_verdicts(self, response: requests.Response) -> list[tuple[Rule, list[str]]]:
        """The rule the request itself calls for, judged from the request and the answer alone."""
        request = response.request
        found = self.contract.resource(str(request.url), self.api_path)
        assert found is not None
        method, status = str(request.method).upper(), response.status_code
        declared = self.contract.methods(found[0])
        ours = presents_the_token(request.headers.get("Authorization"))
        malformed = self.contract.parameter_problems(self.operation_id, found[1].parameters)
        if method not in declared:
            if not ours or malformed:  # refused or rejected first: any 4xx will do
                return [(rules.METHODS, [] if 400 <= status < 500 else
                         [f"{method} (an undeclared method) answered {status}, not a 4xx"])]
            not_allowed = self.edition.answer(rules.METHOD_NOT_ALLOWED).status
            problems = [] if status == not_allowed else \
                [f"{method} (an undeclared method) answered {status}, not {not_allowed}"]
            if status == not_allowed:
                problems += stack.allow_problems(response.headers.get("Allow"), declared)
            return [(rules.METHODS, problems)]
        refused = self.edition.answer(rules.REFUSED_TOKEN).status
        if not ours:
            expected = refused
            return [(rules.TOKEN_REQUIRED, [] if status == expected else
                     [f"a request without the token ({_shown_authorization(request)}) answered {status}, "
                      f"not {expected}"])]
        if malformed:
            rejections = {self.edition.answer(rules.MISSING_CREDENTIAL).status,
                          self.edition.answer(rules.UNKNOWN_PROJECT).status}
            return [(rules.MALFORMED_REJECTED, [] if status in rejections else
                     [f"a malformed name ({malformed[0]}) answered {status}, not one of "
                      f"{', '.join(map(str, sorted(rejections)))}"])]
        return [(rules.DOCUMENTED, [] if status != refused else
                 ["a valid request with the suite's token was refused"])]

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
        route = self.contract.route(str(response.request.method), str(response.request.url), self.api_path)
        self.settle(rule, answer_problems(expected, self.edition, response, route.parameters if route else {}),
                    response, stop=True)
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
               *, defer: bool = False, stop: bool = False, pend: bool = False) -> None:
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
        violation = RuleViolation(rule, detail, self.edition)
        ledger.fail(violation)
        if defer:
            ledger.deferred.setdefault(rule.id, violation)
        elif pend:
            ledger.pending.append((id(response), violation))
        else:
            raise violation


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _shown_authorization(request: requests.PreparedRequest) -> str:
    value = request.headers.get("Authorization")
    if value is None:
        return "no Authorization header"
    scheme = value.partition(" ")[0]
    return f"Authorization {scheme or '(empty)'} …"
