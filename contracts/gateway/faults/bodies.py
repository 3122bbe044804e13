"""Faults of the answer's body: fields missing, renamed or of the wrong type, and bodies that are not the
JSON they say they are."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from contracts import rules
from contracts.editions import Edition
from contracts.gateway.faults.registry import (
    DELETE,
    Family,
    Fault,
    Headers,
    RequestInfo,
    Wire,
    edition_of,
    is_missing_credential,
    message_field,
    replace_step,
    rule_ids,
)
from contracts.gateway.model import Gateway

FAMILY = Family()


def _error_body(status: int, body: Any) -> bool:
    return status >= 400 and isinstance(body, dict)


def _renamed(edition: Edition) -> str | None:
    """The field a renaming fault renames: the error code, else the failure marker."""
    return edition.envelope.code or next(iter(edition.envelope.failure), None)


# -- wrong or missing fields and types -----------------------------------------------------------------
@FAMILY.transform("no-deployment-result", [rules.DOCUMENTED],
                  "leaves deploymentResult out of a successful delete (the undeployment not awaited)")
def _no_deployment_result(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 200 and isinstance(body, dict):
        return status, headers, {k: v for k, v in body.items() if k != "deploymentResult"}
    return status, headers, body


_HAD_GRANTS = "delete-with-grants-answers-without-deployment-result"  # its state in the model (fault_state)


def _remember_grants(gateway: Gateway) -> None:
    """Before the model deletes a credential, note whether it had grants (the answer's fault needs to know)."""
    delete, had = gateway.delete_credential, gateway.fault_state.setdefault(_HAD_GRANTS, set())

    def noted(project: str, username: str) -> dict[str, Any]:
        if gateway.grants.get(username):
            had.add(username)
        return delete(project, username)

    replace_step(gateway, "delete_credential", noted)


def _grantless_answer(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    had = info.gateway.fault_state.get(_HAD_GRANTS, set())
    if status == 200 and isinstance(body, dict) and info.params["username"] in had:
        return status, headers, {k: v for k, v in body.items() if k != "deploymentResult"}
    return status, headers, body


FAMILY.add(Fault("delete-with-grants-answers-without-deployment-result",
                 "answers the delete of a credential that had access grants without its deploymentResult (the "
                 "revocation path builds another body): only a judge that sees every DELETE answer notices",
                 rule_ids(rules.DOCUMENTED), patch=_remember_grants, transform=_grantless_answer))


@FAMILY.transform("success-as-string", [rules.DOCUMENTED],
                  'sends the success marker as a lower-case string ("true" for true, "success" for SUCCESS)')
def _success_string(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    marker = next(iter(edition_of(info).success_marker(DELETE)))
    if status == 200 and isinstance(body, dict):
        return status, headers, {**body, marker: str(body[marker]).lower()}
    return status, headers, body


@FAMILY.transform("environment-name-missing", [rules.DOCUMENTED],
                  "names each deployment result entry's environment `name` instead of the edition's field "
                  "(`environmentName`, `envName`)")
def _environment_name(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200 or not isinstance(body, dict):
        return status, headers, body
    shape, result = edition_of(info).deployment, body["deploymentResult"]
    renamed = [{("name" if k == shape.environment else k): v for k, v in item.items()} for item in result[shape.list]]
    return status, headers, {**body, "deploymentResult": {**result, shape.list: renamed}}


_EXPECTED_ERRORS = (rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.PROJECT_MUST_EXIST,
                    rules.PROJECT_CASE)


@FAMILY.transform("error-description-missing",
                  [rules.DOCUMENTED, rules.ERROR_FORMAT, *_EXPECTED_ERRORS, rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
                  "drops the message (error_description, resultMessage) from every error (a null message omitted)")
def _no_description(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _error_body(status, body):
        return status, headers, {k: v for k, v in body.items() if k != message_field(info)}
    return status, headers, body


@FAMILY.transform("error-renamed",
                  [rules.DOCUMENTED, rules.ERROR_FORMAT, *_EXPECTED_ERRORS, rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
                  "sends the error code as errorCode (in an edition without codes, its failure status as resultStatus)")
def _error_renamed(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    field = _renamed(edition_of(info))
    if _error_body(status, body) and field:
        new = "errorCode" if field == edition_of(info).envelope.code else "resultStatus"
        return status, headers, {(new if k == field else k): v for k, v in body.items()}
    return status, headers, body


@FAMILY.transform("username-not-named",
                  [rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.ONE_OF_TWO],
                  'says "Credential was not found!", leaving the username out')
def _username_not_named(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if is_missing_credential(info, status, body):
        return status, headers, {**body, message_field(info): "Credential was not found!"}
    return status, headers, body


# -- wrong content types, non-JSON bodies ------------------------------------------------------------
@FAMILY.transform("text-plain", [rules.DOCUMENTED, rules.ERROR_FORMAT], "labels every answer text/plain")
def _text_plain(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    return status, {**headers, "content-type": "text/plain;charset=UTF-8"}, body


@FAMILY.transform("html-error-page",
                  [rules.DOCUMENTED, rules.ERROR_FORMAT, *_EXPECTED_ERRORS, rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
                  "answers every error with a servlet container's HTML error page")
def _html_error(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status < 400:
        return status, headers, body
    title = f"HTTP Status {status} – {HTTPStatus(status).phrase}"
    page = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return status, {**headers, "content-type": "text/html;charset=utf-8"}, page.encode()


@FAMILY.transform("non-json-body", [rules.DOCUMENTED],
                  "sends Python's repr of the success body (str(dict) instead of json.dumps), still labelled JSON")
def _non_json(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 200:
        return status, headers, repr(body).encode()
    return status, headers, body
