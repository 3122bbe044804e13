"""Faults of the kind of answer: a wrong status, or the right status with the wrong error code."""

from __future__ import annotations

from typing import Any

from contracts import rules
from contracts.editions import Edition
from contracts.gateway.faults.registry import (
    Family,
    Headers,
    RequestInfo,
    Wire,
    answered_as,
    edition_of,
    is_missing_credential,
)

FAMILY = Family()


def _wrong_kind(edition: Edition, body: dict[str, Any], code: str) -> dict[str, Any]:
    """``body`` with the wrong kind of failure: another error code where the edition has codes, else another
    failure status (its failure marker), the one thing that says "this is an error" in such an edition."""
    if edition.envelope.code:
        return {**body, edition.envelope.code: code}
    marker = next(iter(edition.envelope.failure), None)
    return {**body, marker: "ERROR"} if marker else body


# -- wrong statuses ---------------------------------------------------------------------------------
@FAMILY.transform("success-without-content", [rules.DELETED, rules.DOCUMENTED, rules.ENCODED, rules.ONE_OF_TWO],
                  "answers a successful delete with 204 No Content and no body")
def _no_content(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != edition_of(info).answer(rules.SUCCESS).status:
        return status, headers, body
    return 204, {k: v for k, v in headers.items() if k != "content-type"}, None


@FAMILY.transform("missing-credential-answered-otherwise",
                  [rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.ONE_OF_TWO],
                  "answers a missing credential with another documented answer: the unknown project's (its status, "
                  "code and message, which names the project, not the username)")
def _missing_otherwise(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if is_missing_credential(info, status, body):
        other, unknown = edition_of(info).answer_body(rules.UNKNOWN_PROJECT, projectName=info.params["projectName"])
        return other, headers, unknown
    return status, headers, body


@FAMILY.transform("unknown-project-answered-as-the-environments-page",
                  [rules.PROJECT_MUST_EXIST, rules.PROJECT_CASE],
                  "answers an unknown project with get-environments-by-project.md's own answer (that page's lookup "
                  "reused); no counterpart where both pages give the same answer",
                  applies=lambda edition: edition.answer(rules.UNKNOWN_PROJECT) !=
                  edition.answer(rules.UNKNOWN_PROJECT_ENVIRONMENTS))
def _unknown_project_env_page(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if answered_as(info, status, body, rules.UNKNOWN_PROJECT):
        project = info.params["projectName"]
        other, page = edition_of(info).answer_body(rules.UNKNOWN_PROJECT_ENVIRONMENTS, projectName=project)
        return other, headers, page
    return status, headers, body


@FAMILY.transform("unknown-project-forbidden",
                  [rules.PROJECT_MUST_EXIST, rules.PROJECT_CASE, rules.DOCUMENTED, rules.MALFORMED_REJECTED],
                  "answers an unknown project with 403 forbidden (a permission check before the existence check)")
def _unknown_project_forbidden(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if answered_as(info, status, body, rules.UNKNOWN_PROJECT):
        message = "You do not have permission to perform this action"  # error-handling.md, 403
        return 403, headers, edition_of(info).failure_body("forbidden", message)
    return status, headers, body


@FAMILY.transform("refusal-forbidden", [rules.TOKEN_REQUIRED, rules.TOKEN_FIRST, rules.DOCUMENTED],
                  "refuses a bad or missing token with 403 access_denied (an entry point that forbids instead of "
                  "challenging)")
def _refusal_forbidden(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == edition_of(info).answer(rules.REFUSED_TOKEN).status:
        return 403, headers, edition_of(info).failure_body("access_denied", "Access Denied")
    return status, headers, body


# -- wrong error codes ------------------------------------------------------------------------------
@FAMILY.transform("missing-credential-wrong-error-code",
                  [rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.DOCUMENTED,
                   rules.ERROR_FORMAT],
                  "keeps the missing credential's status but sends another error code (not_found, or bad_request); "
                  "in an edition without codes, another failure status (ERROR, not FAILURE)")
def _missing_code(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if is_missing_credential(info, status, body):
        code = edition_of(info).code(body)
        other = "not_found" if code != "not_found" else "bad_request"
        return status, headers, _wrong_kind(edition_of(info), body, other)
    return status, headers, body


@FAMILY.transform("refusal-with-an-unlisted-error-code",
                  [rules.TOKEN_REQUIRED, rules.TOKEN_FIRST, rules.DOCUMENTED, rules.ERROR_FORMAT],
                  "refuses a token with error invalid_request (an OAuth2 code error-handling.md does not list); in an "
                  "edition without codes, with another failure status (ERROR, not FAILURE)")
def _refusal_code(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == edition_of(info).answer(rules.REFUSED_TOKEN).status and isinstance(body, dict):
        return status, headers, _wrong_kind(edition_of(info), body, "invalid_request")
    return status, headers, body
