"""The token in answers: echoed in a header or a body, as it is or encoded, and to the preflight (caught as
preflight)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, quote_plus

from contracts import rules
from contracts.gateway.faults.registry import (
    Family,
    Headers,
    RequestInfo,
    Wire,
    edition_of,
    is_missing_credential,
    json_text,
    message_field,
)

FAMILY = Family()


def _presented(info: RequestInfo) -> str:
    return (info.authorization or "").partition(" ")[2]


@FAMILY.transform("token-echo-header", [rules.TOKEN_NEVER_ECHOED],
                  "echoes the Authorization header back in X-Debug-Authorization")
def _echo_header(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if info.authorization is None:
        return status, headers, body
    return status, {**headers, "x-debug-authorization": info.authorization}, body


@FAMILY.transform("token-echo-body", [rules.TOKEN_NEVER_ECHOED],
                  "quotes the presented token in a 401's error_description")
def _echo_body(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 401 and isinstance(body, dict):
        return status, headers, {**body, message_field(info): f"Invalid token: {_presented(info)}"}
    return status, headers, body


def _java_escaped(text: str) -> str:
    """How Java serialisers (Gson's HTML-safe mode) write a string: ``/ = + < > & '`` as escapes."""
    escapes = {'"': '\\"', "\\": "\\\\", "/": "\\/", "=": "\\u003d", "+": "\\u002b", "<": "\\u003c",
               ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
    return "".join(escapes.get(character, character) for character in text)


@FAMILY.transform("token-echo-json-escaped", [rules.TOKEN_NEVER_ECHOED],
                  "quotes the token in every answer's body, escaped the way Java serialisers escape it (\\/, \\u003d, "
                  "\\u002b)")
def _echo_escaped(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if not isinstance(body, dict) or not _presented(info):
        return status, headers, body
    text = json_text(body)[:-1] + f',"requestedBy":"{_java_escaped(_presented(info))}"}}'
    return status, headers, text.encode()


@FAMILY.transform("token-echo-url-encoded", [rules.TOKEN_NEVER_ECHOED],
                  "echoes the token percent-encoded: quote() in an X-Request-Token header, quote_plus() in the body")
def _echo_url_encoded(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    presented = _presented(info)
    if not presented:
        return status, headers, body
    echoed = {**body, "trace": f"token={quote_plus(presented)}"} if isinstance(body, dict) else body
    return status, {**headers, "x-request-token": quote(presented, safe="")}, echoed


@FAMILY.transform("token-echo-base64", [rules.TOKEN_NEVER_ECHOED],
                  "echoes the token in base64 headers: of the token (X-Token-Id) and of the whole header value "
                  "(X-Auth-Echo)")
def _echo_base64(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if not info.authorization:
        return status, headers, body
    return status, {**headers, "x-token-id": base64.b64encode(_presented(info).encode()).decode(),
                    "x-auth-echo": base64.b64encode(info.authorization.encode()).decode()}, body


@FAMILY.transform("token-echo-at-a-truncation-point", [rules.TOKEN_NEVER_ECHOED],
                  "quotes the token in a 401 after padding, so that it straddles where messages cut an answer short")
def _echo_truncated(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 401 and isinstance(body, dict):
        padding = "The presented credential was rejected after validation. " * 3
        return status, headers, {**body, message_field(info): f"{padding[:185]} {_presented(info)}"}
    return status, headers, body


@FAMILY.transform("token-echo-in-a-server-error",
                  [rules.TOKEN_NEVER_ECHOED, rules.DOCUMENTED, rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE,
                   rules.SCOPED, rules.MALFORMED_REJECTED],
                  "answers a delete of a missing credential 500, quoting the token in the exception's message")
def _echo_500(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if is_missing_credential(info, status, body):
        return 500, headers, edition_of(info).failure_body(
            "internal_error", f"NullPointerException at TokenFilter(token={_presented(info)})")
    return status, headers, body


@FAMILY.transform("token-echo-to-the-preflight", [], "refuses the suite's first read with a 401 that quotes the token",
                  caught_as="preflight", operation="listCredentials")
def _echo_preflight(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    return 401, headers, edition_of(info).failure_body("unauthorized_client", f"Invalid token {_presented(info)}")
