"""The judge's every-answer rules as schemathesis checks, for a plain ``st run`` of openapi.yaml.

The suite itself does not need them: its judge (contracts/judge.py) holds every answer to these
rules as the answer arrives. A plain ``st run`` bypasses the suite's client, so
``SCHEMATHESIS_HOOKS=contracts.st_hooks st run openapi.yaml ...`` registers them for it (the
property-throughput benchmark runs it that way, so that both sides judge with the same rules).
Each check is the judge's own rule function (contracts/answer_checks.py), named by the rule it verifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import schemathesis

from contracts import editions, redaction, rules, settings
from contracts.answer_checks import error_format_problems, time_problems
from contracts.spec import load

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

DEFAULT_BUDGET = 5.0  # seconds; the default of --max-response-time


def edition() -> editions.Edition:
    """The edition a plain ``st run`` holds the gateway to: ``APIOPS_EDITION``, else the base edition."""
    chosen = settings.variable("APIOPS_EDITION")
    return editions.get(chosen) if chosen and chosen != editions.AUTO else editions.base()


def _flat(headers: Mapping[str, list[str]]) -> dict[str, str]:
    return {name: ", ".join(values) for name, values in headers.items()}


def _fail(rule: rules.Rule, problems: list[str]) -> None:
    if problems:
        raise AssertionError(f"{rule.headline(edition())}\n" + "; ".join(problems))


@schemathesis.check
def errors_follow_the_error_format(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """error-handling.md: errors are JSON ``{error, error_description}``, ``error`` from the status's list."""
    content_type = response.headers.get("content-type", [None])[0]
    contract = load(settings.contract_document(edition()))
    route = contract.route(case.operation.method, case.operation.path)
    if route is not None:  # an operation of openapi.yaml: its own error codes (any operation, not only the DELETE)
        _fail(rules.ERROR_FORMAT, error_format_problems(contract, edition(), route.operation_id,
                                                        response.status_code, content_type, response.text_lossy()))
    return None


@schemathesis.check
def no_answer_carries_the_token(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """authentication.md, Token Security: no answer echoes the presented token, in any encoding."""
    presented = (response.request.headers.get("Authorization") or "").partition(" ")[2].strip()
    extra = [presented] if len(presented) >= 16 else []
    where = (["body"] if redaction.find(response.text_lossy(), extra) else []) + [
        f"header {name}" for name, value in _flat(response.headers).items() if redaction.find(value, extra)]
    _fail(rules.TOKEN_NEVER_ECHOED, [f"the answer carries the presented token in: {', '.join(where)}"] if where else [])
    return None


@schemathesis.check
def answers_within_the_time_budget(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The suite's response-time budget (APIOPS_MAX_RESPONSE_TIME, else 5 s)."""
    try:
        budget = float(settings.variable("APIOPS_MAX_RESPONSE_TIME") or DEFAULT_BUDGET)
    except ValueError:
        budget = DEFAULT_BUDGET
    _fail(rules.TIMELY, time_problems(response.elapsed, budget))
    return None
