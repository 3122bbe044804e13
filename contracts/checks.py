"""The suite's own schemathesis checks, beside the built-in ones (``@schemathesis.check``).

Importing this module registers them for every schemathesis run in the process: the property
tests (``contracts/properties``) and, with ``SCHEMATHESIS_HOOKS=contracts.checks``, a plain
``st run`` (the benchmark does that, so both runs judge with the same checks).

- :func:`error_body_follows_error_handling_md`: every error answer is ``{"error", "error_description"}``,
  both strings, and ``error`` is one of the codes the contract lists for that status.
- :func:`no_response_carries_the_presented_token`: neither body nor headers echo the token.
- :func:`response_time_within_budget`: the suite's ``--max-response-time`` budget.

Each rule is also a plain function (``*_problems``) that takes status, headers and text, so the
semantic property tests judge the responses of their own client with the very same rules.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import schemathesis

from contracts.secrets import contains_secret
from contracts.spec import SpecError, load

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

OPERATION = "deleteCredential"
DEFAULT_BUDGET = 5.0  # seconds; settings.py's default for --max-response-time
# A presented credential shorter than this is not a token: a generated "Bearer a" must not make
# every body that contains an "a" a leak.
MIN_TOKEN_LENGTH = 16

_budget: float | None = None


def set_budget(seconds: float) -> None:
    """The response-time budget of :func:`response_time_within_budget` (the suite sets its setting)."""
    global _budget
    _budget = seconds


def budget() -> float:
    """The configured budget; outside the suite (``st run``), ``APIOPS_MAX_RESPONSE_TIME`` or 5 s."""
    if _budget is not None:
        return _budget
    try:
        return float(os.environ.get("APIOPS_MAX_RESPONSE_TIME") or DEFAULT_BUDGET)
    except ValueError:
        return DEFAULT_BUDGET


# -- the rules, as plain functions --------------------------------------------------------------------
def error_body_problems(status: int, content_type: str | None, text: str) -> list[str]:
    """How an error answer (status >= 400) breaks error-handling.md's format; empty when it conforms.

    The allowed ``error`` codes come from openapi.yaml's schema for that status of the DELETE;
    a status the DELETE does not document (e.g. 405 for an undeclared method) is held to the
    format only: status_code_conformance judges the status itself.
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
        return [*problems, f"body is not JSON: {text[:120]!r}"]
    if not isinstance(body, dict):
        return [*problems, f"body is {type(body).__name__}, not an object"]
    for field in ("error", "error_description"):
        if field not in body:
            problems.append(f"`{field}` is missing")
        elif not isinstance(body[field], str):
            problems.append(f"`{field}` is {type(body[field]).__name__}, not a string")
    allowed = _error_codes(status)
    if allowed and isinstance(body.get("error"), str) and body["error"] not in allowed:
        problems.append(f"`error` is {body['error']!r}; for {status} openapi.yaml allows {', '.join(allowed)}")
    return problems


def _error_codes(status: int) -> list[str]:
    try:
        contract = load()
        if status not in contract.documented_statuses(OPERATION):
            return []
        return contract.error_codes(OPERATION, status)
    except (SpecError, KeyError, AssertionError):
        return []


def token_problems(headers: Mapping[str, str], text: str, presented: str | None = None) -> list[str]:
    """Where a response carries the token: ``body`` and/or header names. Never the token itself.

    The token is every secret registered with :mod:`contracts.secrets` (the configured token; on a
    replay, the placeholder that stands for it in recordings), plus the credential the request
    presented when it is long enough to be a token.
    """
    def carries(value: str) -> bool:
        return contains_secret(value) or (presented is not None and presented in value)

    found = ["body"] if carries(text) else []
    found += [f"header {name}" for name, value in headers.items() if carries(value)]
    return found


def presented_credential(authorization: str | None) -> str | None:
    """The credential part of an Authorization header, if it is long enough to be a token."""
    credential = (authorization or "").partition(" ")[2].strip()
    return credential if len(credential) >= MIN_TOKEN_LENGTH else None


def time_problems(seconds: float, limit: float) -> list[str]:
    if seconds <= limit:
        return []
    return [f"took {seconds:.2f} s, over the {limit:g} s budget (--max-response-time / APIOPS_MAX_RESPONSE_TIME)"]


# -- the schemathesis checks ----------------------------------------------------------------------------
def _flat(headers: Mapping[str, list[str]]) -> dict[str, str]:
    return {name: ", ".join(values) for name, values in headers.items()}


@schemathesis.check
def error_body_follows_error_handling_md(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """error-handling.md: errors are JSON ``{error, error_description}``, ``error`` from the status's list."""
    content_type = response.headers.get("content-type", [None])[0]
    problems = error_body_problems(response.status_code, content_type, response.text_lossy())
    if problems:
        raise AssertionError(f"{response.status_code} answer breaks error-handling.md: " + "; ".join(problems))
    return None


@schemathesis.check
def no_response_carries_the_presented_token(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """authentication.md, Token Security: no answer echoes the token, in its body or any header."""
    presented = presented_credential(response.request.headers.get("Authorization"))
    found = token_problems(_flat(response.headers), response.text_lossy(), presented)
    if found:
        # Where, never what: the failure output must not carry the token either.
        raise AssertionError(f"the response carries the presented token in: {', '.join(found)}")
    return None


@schemathesis.check
def response_time_within_budget(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The suite's response-time budget for the DELETE (settings.py, ``--max-response-time``)."""
    problems = time_problems(response.elapsed, budget())
    if problems:
        raise AssertionError(f"{case.method} {response.request.url}: {problems[0]}")
    return None
