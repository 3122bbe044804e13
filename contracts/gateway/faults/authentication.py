"""Authentication holes: a token that should be refused and is not, or that is checked too late."""

from __future__ import annotations

from typing import Any

from contracts import rules
from contracts.gateway.faults.registry import Family, Headers, RequestInfo, Wire, edition_of, replace_step
from contracts.gateway.model import Gateway

FAMILY = Family()


def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@FAMILY.patch("any-token", [rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
              "accepts any non-empty Bearer token (the token is parsed, never compared)")
def _any_token(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def any_token(authorization: str | None) -> None:
        if not _bearer(authorization):
            authenticate(authorization)

    replace_step(gateway, "authenticate", any_token)


@FAMILY.patch("missing-header-accepted", [rules.TOKEN_REQUIRED],
              "lets a request without Authorization through (the filter only checks a header that is there)")
def _missing_header(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def lenient(authorization: str | None) -> None:
        if authorization is not None:
            authenticate(authorization)

    replace_step(gateway, "authenticate", lenient)


@FAMILY.patch("any-scheme", [rules.TOKEN_REQUIRED],
              "accepts the right token under any scheme, Basic included (the scheme is skipped, not checked)")
def _any_scheme(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def schemeless(authorization: str | None) -> None:
        if authorization is None:
            authenticate(None)
        else:
            authenticate("Bearer " + authorization.partition(" ")[2])

    replace_step(gateway, "authenticate", schemeless)


@FAMILY.patch("empty-bearer-accepted", [rules.TOKEN_REQUIRED],
              "accepts 'Bearer ' with no token (tokens compared with startswith, and '' prefixes every token)")
def _empty_bearer(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def prefix(authorization: str | None) -> None:
        presented = _bearer(authorization)
        if presented is None or not gateway.token.startswith(presented):
            authenticate(authorization)

    replace_step(gateway, "authenticate", prefix)


@FAMILY.transform("auth-after-project", [rules.TOKEN_FIRST, rules.TOKEN_REQUIRED],
                  "resolves the project before checking the token: a bad token on an unknown project gets the "
                  "unknown project's answer")
def _auth_after_project(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    project = info.params["projectName"]
    if status == edition_of(info).answer(rules.REFUSED_TOKEN).status and not info.gateway.has_project(project):
        answered, unknown = edition_of(info).answer_body(rules.UNKNOWN_PROJECT, projectName=project)
        return answered, headers, unknown
    return status, headers, body
