"""Named, realistic deviations from the contract, for proving that the suite catches them.

``--fault NAME`` (``python -m contracts.gateway``, ``GatewayServer(faults=...)``) makes the
reference gateway break the rules its :class:`Fault` names (``breaks``: ids of contracts/rules.py),
or, for the faults aimed at the suite itself rather than a rule (a hostile gateway), behave so
that the run must stop or report (``caught_as``). A fault is one of:

- ``patch(gateway)``: replaces one step of the clean model on that instance (``authenticate``,
  ``find_credential``, ``remove_credential``, ``delete_credential``), as a bug in that step would;
- ``transform(info, status, headers, body)``: rewrites the wire response of one operation (the
  DELETE under contract unless ``operation`` says otherwise), as a bug in its controller or
  serializer would;
- ``delay``: seconds added before that operation answers a success (the answer that undeploys).

Faults about an expected answer read it from the rulebook, so they keep deviating from it when the
docs (and the rulebook) change it.

The model and app know nothing of faults: ``apply_faults`` patches the gateway and returns the
response hook of each operation. In ``transform``, ``body`` is a JSON value, ``bytes`` (sent as
is), an async iterator of ``bytes`` (streamed: a slow or endless body) or ``None`` (no body);
header names are lower case.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import quote, quote_plus, unquote_plus

from contracts import rules
from contracts.editions import Edition
from contracts.gateway.model import ApiError, Gateway
from contracts.gateway.state import Credential, Project

Headers = dict[str, str]
Wire = tuple[int, Headers, Any]
DELETE = "deleteCredential"
CaughtAs = Literal["rules", "preflight", "leftovers", "published-spec"]


@dataclass(frozen=True)
class RequestInfo:
    """What a transform may look at: the request as received, and the gateway that answered it."""

    method: str
    path: str  # raw, still percent-encoded
    params: dict[str, str]  # decoded path parameters
    authorization: str | None
    gateway: Gateway
    origin: str = "http://127.0.0.1"  # scheme://host:port the request was sent to


Transform = Callable[[RequestInfo, int, Headers, Any], Wire]
ResponseHook = Callable[[RequestInfo, int, Headers, Any], Awaitable[Wire]]


@dataclass(frozen=True)
class Fault:
    name: str
    does: str  # what the gateway does instead of what the rule says
    breaks: tuple[str, ...]  # the rules it breaks; () for a fault aimed at the suite itself
    caught_as: CaughtAs = "rules"  # rule failures, a preflight that stops the run, or reported leftovers
    patch: Callable[[Gateway], None] | None = None
    transform: Transform | None = None
    delay: float = 0.0
    operation: str = DELETE
    # Changes only how the answer travels (when, how fast, how big), not what it says: the gateway's
    # published description (describe.py) describes what answers say, so it leaves such a fault out.
    wire_only: bool = False
    # The editions it means something in (contracts/editions), asked of the edition's data, never of its id:
    # a fault of the unknown project's own answer means nothing where two pages give the same answer.
    applies: Callable[[Edition], bool] = lambda edition: True

    def describe(self) -> str:
        broken = ", ".join(self.breaks) if self.breaks else f"(caught as {self.caught_as})"
        return f"{self.name}: {self.does} — breaks {broken}"


class UnknownFault(ValueError):
    """A fault name that is not in :data:`FAULTS`."""


FAULTS: dict[str, Fault] = {}


def _register(fault: Fault) -> None:
    assert fault.name not in FAULTS, fault.name
    assert all(rule_id in rules.RULES for rule_id in fault.breaks), fault.breaks
    FAULTS[fault.name] = fault


def _ids(*broken: rules.Rule) -> tuple[str, ...]:
    return tuple(rule.id for rule in broken)


def _transform(name: str, breaks: Iterable[rules.Rule], does: str, *, caught_as: CaughtAs = "rules",
               operation: str = DELETE, wire_only: bool = False,
               applies: Callable[[Edition], bool] = lambda edition: True) -> Callable[[Transform], Transform]:
    def register(function: Transform) -> Transform:
        _register(Fault(name, does, _ids(*breaks), caught_as, transform=function, operation=operation,
                        wire_only=wire_only, applies=applies))
        return function

    return register


def _patch(name: str, breaks: Iterable[rules.Rule],
           does: str) -> Callable[[Callable[[Gateway], None]], Callable[[Gateway], None]]:
    def register(function: Callable[[Gateway], None]) -> Callable[[Gateway], None]:
        _register(Fault(name, does, _ids(*breaks), patch=function))
        return function

    return register


def _replace(gateway: Gateway, step: str, function: Callable[..., Any]) -> None:
    """Shadow one method of the model on this instance only (setattr: mypy forbids method assignment)."""
    setattr(gateway, step, function)


def _edition(info: RequestInfo) -> Edition:
    return info.gateway.edition


def _is(info: RequestInfo, status: int, body: Any, name: str) -> bool:
    """Whether the clean model answered the edition's expected answer ``name`` (asked of the edition: two
    answers may share a status, and are told apart by their code and message)."""
    return _edition(info).answered(status, body) == name


def _is_missing_credential(info: RequestInfo, status: int, body: Any) -> bool:
    return _is(info, status, body, rules.MISSING_CREDENTIAL)


def _error_body(status: int, body: Any) -> bool:
    return status >= 400 and isinstance(body, dict)


def _message(info: RequestInfo) -> str:
    return _edition(info).envelope.message


def _wrong_kind(edition: Edition, body: dict[str, Any], code: str) -> dict[str, Any]:
    """``body`` with the wrong kind of failure: another error code where the edition has codes, else another
    failure status (its failure marker), the one thing that says "this is an error" in such an edition."""
    if edition.envelope.code:
        return {**body, edition.envelope.code: code}
    marker = next(iter(edition.envelope.failure), None)
    return {**body, marker: "ERROR"} if marker else body


def _renamed(edition: Edition) -> str | None:
    """The field a renaming fault renames: the error code, else the failure marker."""
    return edition.envelope.code or next(iter(edition.envelope.failure), None)


# -- wrong statuses ---------------------------------------------------------------------------------
@_transform("success-without-content", [rules.DELETED, rules.DOCUMENTED, rules.ENCODED, rules.ONE_OF_TWO],
            "answers a successful delete with 204 No Content and no body")
def _no_content(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != _edition(info).answer(rules.SUCCESS).status:
        return status, headers, body
    return 204, {k: v for k, v in headers.items() if k != "content-type"}, None


@_transform("missing-credential-answered-otherwise",
            [rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.ONE_OF_TWO],
            "answers a missing credential with another documented answer: the unknown project's (its status, "
            "code and message, which names the project, not the username)")
def _missing_otherwise(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(info, status, body):
        other, unknown = _edition(info).answer_body(rules.UNKNOWN_PROJECT, projectName=info.params["projectName"])
        return other, headers, unknown
    return status, headers, body


@_transform("unknown-project-answered-as-the-environments-page",
            [rules.PROJECT_MUST_EXIST, rules.PROJECT_CASE],
            "answers an unknown project with get-environments-by-project.md's own answer (that page's lookup "
            "reused); no counterpart where both pages give the same answer",
            applies=lambda edition: edition.answer(rules.UNKNOWN_PROJECT) !=
            edition.answer(rules.UNKNOWN_PROJECT_ENVIRONMENTS))
def _unknown_project_env_page(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is(info, status, body, rules.UNKNOWN_PROJECT):
        project = info.params["projectName"]
        other, page = _edition(info).answer_body(rules.UNKNOWN_PROJECT_ENVIRONMENTS, projectName=project)
        return other, headers, page
    return status, headers, body


@_transform("unknown-project-forbidden",
            [rules.PROJECT_MUST_EXIST, rules.PROJECT_CASE, rules.DOCUMENTED, rules.MALFORMED_REJECTED],
            "answers an unknown project with 403 forbidden (a permission check before the existence check)")
def _unknown_project_forbidden(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is(info, status, body, rules.UNKNOWN_PROJECT):
        message = "You do not have permission to perform this action"  # error-handling.md, 403
        return 403, headers, _edition(info).failure_body("forbidden", message)
    return status, headers, body


@_transform("refusal-forbidden", [rules.TOKEN_REQUIRED, rules.TOKEN_FIRST, rules.DOCUMENTED],
            "refuses a bad or missing token with 403 access_denied (an entry point that forbids instead of "
            "challenging)")
def _refusal_forbidden(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == _edition(info).answer(rules.REFUSED_TOKEN).status:
        return 403, headers, _edition(info).failure_body("access_denied", "Access Denied")
    return status, headers, body


# -- wrong error codes ------------------------------------------------------------------------------
@_transform("missing-credential-wrong-error-code",
            [rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.DOCUMENTED,
             rules.ERROR_FORMAT],
            "keeps the missing credential's status but sends another error code (not_found, or bad_request); "
            "in an edition without codes, another failure status (ERROR, not FAILURE)")
def _missing_code(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(info, status, body):
        code = _edition(info).code(body)
        return status, headers, _wrong_kind(_edition(info), body, "not_found" if code != "not_found" else "bad_request")
    return status, headers, body


@_transform("refusal-with-an-unlisted-error-code",
            [rules.TOKEN_REQUIRED, rules.TOKEN_FIRST, rules.DOCUMENTED, rules.ERROR_FORMAT],
            "refuses a token with error invalid_request (an OAuth2 code error-handling.md does not list); in an "
            "edition without codes, with another failure status (ERROR, not FAILURE)")
def _refusal_code(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == _edition(info).answer(rules.REFUSED_TOKEN).status and isinstance(body, dict):
        return status, headers, _wrong_kind(_edition(info), body, "invalid_request")
    return status, headers, body


# -- wrong or missing fields and types -----------------------------------------------------------------
@_transform("no-deployment-result", [rules.DOCUMENTED],
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

    _replace(gateway, "delete_credential", noted)


def _grantless_answer(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    had = info.gateway.fault_state.get(_HAD_GRANTS, set())
    if status == 200 and isinstance(body, dict) and info.params["username"] in had:
        return status, headers, {k: v for k, v in body.items() if k != "deploymentResult"}
    return status, headers, body


_register(Fault("delete-with-grants-answers-without-deployment-result",
                "answers the delete of a credential that had access grants without its deploymentResult (the "
                "revocation path builds another body): only a judge that sees every DELETE answer notices",
                _ids(rules.DOCUMENTED), patch=_remember_grants, transform=_grantless_answer))


@_transform("success-as-string", [rules.DOCUMENTED],
            'sends the success marker as a lower-case string ("true" for true, "success" for SUCCESS)')
def _success_string(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    marker = next(iter(_edition(info).success_marker(DELETE)))
    if status == 200 and isinstance(body, dict):
        return status, headers, {**body, marker: str(body[marker]).lower()}
    return status, headers, body


@_transform("environment-name-missing", [rules.DOCUMENTED],
            "names each deployment result entry's environment `name` instead of the edition's field "
            "(`environmentName`, `envName`)")
def _environment_name(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200 or not isinstance(body, dict):
        return status, headers, body
    shape, result = _edition(info).deployment, body["deploymentResult"]
    renamed = [{("name" if k == shape.environment else k): v for k, v in item.items()} for item in result[shape.list]]
    return status, headers, {**body, "deploymentResult": {**result, shape.list: renamed}}


_EXPECTED_ERRORS = (rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.PROJECT_MUST_EXIST,
                    rules.PROJECT_CASE)


@_transform("error-description-missing",
            [rules.DOCUMENTED, rules.ERROR_FORMAT, *_EXPECTED_ERRORS, rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
            "drops the message (error_description, resultMessage) from every error (a null message omitted)")
def _no_description(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _error_body(status, body):
        return status, headers, {k: v for k, v in body.items() if k != _message(info)}
    return status, headers, body


@_transform("error-renamed",
            [rules.DOCUMENTED, rules.ERROR_FORMAT, *_EXPECTED_ERRORS, rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
            "sends the error code as errorCode (in an edition without codes, its failure status as resultStatus)")
def _error_renamed(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    field = _renamed(_edition(info))
    if _error_body(status, body) and field:
        new = "errorCode" if field == _edition(info).envelope.code else "resultStatus"
        return status, headers, {(new if k == field else k): v for k, v in body.items()}
    return status, headers, body


@_transform("username-not-named",
            [rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE, rules.SCOPED, rules.ONE_OF_TWO],
            'says "Credential was not found!", leaving the username out')
def _username_not_named(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(info, status, body):
        return status, headers, {**body, _message(info): "Credential was not found!"}
    return status, headers, body


# -- wrong content types, non-JSON bodies ------------------------------------------------------------
@_transform("text-plain", [rules.DOCUMENTED, rules.ERROR_FORMAT], "labels every answer text/plain")
def _text_plain(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    return status, {**headers, "content-type": "text/plain;charset=UTF-8"}, body


@_transform("html-error-page",
            [rules.DOCUMENTED, rules.ERROR_FORMAT, *_EXPECTED_ERRORS, rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
            "answers every error with a servlet container's HTML error page")
def _html_error(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status < 400:
        return status, headers, body
    title = f"HTTP Status {status} – {HTTPStatus(status).phrase}"
    page = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return status, {**headers, "content-type": "text/html;charset=utf-8"}, page.encode()


@_transform("non-json-body", [rules.DOCUMENTED],
            "sends Python's repr of the success body (str(dict) instead of json.dumps), still labelled JSON")
def _non_json(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 200:
        return status, headers, repr(body).encode()
    return status, headers, body


# -- authentication holes ------------------------------------------------------------------------------
def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@_patch("any-token", [rules.TOKEN_REQUIRED, rules.TOKEN_FIRST],
        "accepts any non-empty Bearer token (the token is parsed, never compared)")
def _any_token(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def any_token(authorization: str | None) -> None:
        if not _bearer(authorization):
            authenticate(authorization)

    _replace(gateway, "authenticate", any_token)


@_patch("missing-header-accepted", [rules.TOKEN_REQUIRED],
        "lets a request without Authorization through (the filter only checks a header that is there)")
def _missing_header(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def lenient(authorization: str | None) -> None:
        if authorization is not None:
            authenticate(authorization)

    _replace(gateway, "authenticate", lenient)


@_patch("any-scheme", [rules.TOKEN_REQUIRED],
        "accepts the right token under any scheme, Basic included (the scheme is skipped, not checked)")
def _any_scheme(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def schemeless(authorization: str | None) -> None:
        if authorization is None:
            authenticate(None)
        else:
            authenticate("Bearer " + authorization.partition(" ")[2])

    _replace(gateway, "authenticate", schemeless)


@_patch("empty-bearer-accepted", [rules.TOKEN_REQUIRED],
        "accepts 'Bearer ' with no token (tokens compared with startswith, and '' prefixes every token)")
def _empty_bearer(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def prefix(authorization: str | None) -> None:
        presented = _bearer(authorization)
        if presented is None or not gateway.token.startswith(presented):
            authenticate(authorization)

    _replace(gateway, "authenticate", prefix)


@_transform("auth-after-project", [rules.TOKEN_FIRST, rules.TOKEN_REQUIRED],
            "resolves the project before checking the token: a bad token on an unknown project gets the "
            "unknown project's answer")
def _auth_after_project(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    project = info.params["projectName"]
    if status == _edition(info).answer(rules.REFUSED_TOKEN).status and not info.gateway.has_project(project):
        answered, unknown = _edition(info).answer_body(rules.UNKNOWN_PROJECT, projectName=project)
        return answered, headers, unknown
    return status, headers, body


# -- deletions that do not happen, or reach too far ------------------------------------------------------
@_patch("delete-not-done",
        [rules.PERMANENT, rules.GRANTS_REVOKED, rules.EXACTLY_ONE, rules.ENCODED, rules.ONE_OF_TWO],
        "answers 200 but the credential stays (never committed)")
def _delete_not_done(gateway: Gateway) -> None:
    def uncommitted(credential: Credential) -> None:
        return None

    _replace(gateway, "remove_credential", uncommitted)


@_patch("delete-whole-project", [rules.EXACTLY_ONE, rules.DELETED, rules.ENCODED],
        "deletes every credential of the project (the DELETE's WHERE clause lost its username)")
def _delete_whole_project(gateway: Gateway) -> None:
    remove = gateway.remove_credential

    def everything(credential: Credential) -> None:
        for other in [c for c in gateway.credentials.values() if c.project == credential.project]:
            remove(other)

    _replace(gateway, "remove_credential", everything)


def _also_remove(gateway: Gateway, also: Callable[[str, str], bool]) -> None:
    """The named credential goes, and with it each one of its project whose username ``also(named, other)``."""
    remove = gateway.remove_credential

    def wider(credential: Credential) -> None:
        for other in [c for c in gateway.credentials.values()
                      if c.project == credential.project and (c is credential or also(credential.username,
                                                                                      c.username))]:
            remove(other)

    _replace(gateway, "remove_credential", wider)


@_patch("delete-by-prefix", [rules.EXACTLY_ONE],
        "also deletes every credential whose username extends the named one (LIKE 'name%')")
def _by_prefix(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: other.startswith(named))


@_patch("delete-contained-names", [rules.EXACTLY_ONE],
        "also deletes every credential whose username is contained in the named one (a reversed LIKE)")
def _contained(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: other in named)


_KEY_LENGTH = 48


@_patch("delete-by-truncated-name", [rules.EXACTLY_ONE, rules.DELETED, rules.ENCODED],
        f"compares usernames on their first {_KEY_LENGTH} characters (a CHAR({_KEY_LENGTH}) key), so "
        "credentials sharing that prefix go too")
def _truncated(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: named[:_KEY_LENGTH] == other[:_KEY_LENGTH])


@_patch("delete-every-case-variant", [rules.EXACTLY_ONE],
        "also deletes every credential whose username differs from the named one only in case")
def _every_case_variant(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: named.casefold() == other.casefold())


@_patch("delete-case-insensitive", [rules.USERNAME_CASE],
        "finds and deletes a case variant of a username (a case-insensitive collation)")
def _case_insensitive(gateway: Gateway) -> None:
    find = gateway.find_credential

    def folded(project: Project, username: str) -> Credential:
        for credential in gateway.credentials.values():
            if credential.project == project.name and credential.username.casefold() == username.casefold():
                return credential
        return find(project, username)

    _replace(gateway, "find_credential", folded)


@_patch("delete-ignores-project", [rules.SCOPED],
        "finds, and deletes, a credential of another project through this one (looked up by username alone)")
def _ignores_project(gateway: Gateway) -> None:
    find = gateway.find_credential

    def unscoped(project: Project, username: str) -> Credential:
        return gateway.credentials.get(username) or find(project, username)

    _replace(gateway, "find_credential", unscoped)


@_patch("grants-survive-delete", [rules.GRANTS_REVOKED],
        "leaves the credential's grants behind, so a new credential of the same username inherits them")
def _grants_survive(gateway: Gateway) -> None:
    def credential_only(credential: Credential) -> None:
        gateway.credentials.pop(credential.username, None)

    _replace(gateway, "remove_credential", credential_only)


@_patch("soft-delete", [rules.PERMANENT, rules.GRANTS_REVOKED, rules.ONE_OF_TWO],
        "only marks the credential deleted, and the lookup still finds marked ones: a second delete succeeds")
def _soft_delete(gateway: Gateway) -> None:
    marked: dict[str, Credential] = {}  # username -> the credential as it was when "deleted"
    remove, find, reset = gateway.remove_credential, gateway.find_credential, gateway.reset

    def mark(credential: Credential) -> None:
        marked[credential.username] = credential
        if gateway.credentials.get(credential.username) is credential:
            remove(credential)

    def find_marked_too(project: Project, username: str) -> Credential:
        try:
            return find(project, username)
        except ApiError:
            credential = marked.get(username)
            if credential is None or credential.project != project.name:
                raise
            return credential

    def reset_marks() -> None:
        marked.clear()
        reset()

    _replace(gateway, "remove_credential", mark)
    _replace(gateway, "find_credential", find_marked_too)
    _replace(gateway, "reset", reset_marks)


@_transform("password-change-after-delete", [rules.PERMANENT],
            "accepts Change Password (PATCH, the credential path's other method) for a credential that does not "
            "exist, a deleted one included: answers 200 and redeploys nothing", operation="changeCredentialPassword")
def _password_change_after_delete(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(info, status, body):
        return 200, headers, _edition(info).success_body({}, "changeCredentialPassword")
    return status, headers, body


_IN_FLIGHT = "delete-without-lock"


def _delete_without_lock(gateway: Gateway) -> None:
    """Look up, wait (the undeployment), remove, with no lock: a delete that arrives while another of the same
    credential is still undeploying finds it too, and answers as that one will."""
    delete, in_flight = gateway.delete_credential, gateway.fault_state.setdefault(_IN_FLIGHT, {})

    def unlocked(project: str, username: str) -> dict[str, Any]:
        result = delete(project, username)
        in_flight[(project, username)] = result  # until its answer is sent (_answer_in_flight)
        return result

    _replace(gateway, "delete_credential", unlocked)


def _answer_in_flight(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    in_flight = info.gateway.fault_state.get(_IN_FLIGHT, {})
    key = (info.params["projectName"], info.params["username"])
    if status == 200:  # the first delete's answer, once its undeployment is over: the credential is gone now
        in_flight.pop(key, None)
    elif key in in_flight and _is_missing_credential(info, status, body):
        return 200, headers, in_flight[key]  # it looked the credential up before the first removed it
    return status, headers, body


_register(Fault(_IN_FLIGHT, "deletes with no lock between looking the credential up and removing it, and takes "
                "0.4 s to undeploy: of two deletes of one credential at the same moment, both succeed and undeploy",
                _ids(rules.ONE_OF_TWO), patch=_delete_without_lock, transform=_answer_in_flight, delay=0.4))


# -- undeployment --------------------------------------------------------------------------------------
@_transform("incomplete-undeployment", [rules.UNDEPLOYED],
            "leaves the last environment (every entry of it, every pod) out of the deployment result (an off-by-one)")
def _incomplete(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200 or not isinstance(body, dict):
        return status, headers, body
    shape, result = _edition(info).deployment, body["deploymentResult"]
    entries = result[shape.list]
    last = entries[-1][shape.environment] if entries else None
    shorter = [entry for entry in entries if entry[shape.environment] != last]
    return status, headers, {**body, "deploymentResult": {**result, shape.list: shorter}}


@_transform("failed-undeployment", [rules.UNDEPLOYED, rules.DELETED],
            "reports the last environment's undeployment failed (unreachable), still answering 200")
def _failed(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    shape = _edition(info).deployment
    if status != 200 or not isinstance(body, dict) or not body["deploymentResult"][shape.list]:
        return status, headers, body
    result = body["deploymentResult"]
    *ok, last = result[shape.list]
    failed = {**last, shape.success: False}
    overall = {**result, shape.success: False}
    if shape.message:
        failed[shape.message] = "Undeployment failed: environment unreachable"
        overall[shape.message] = "Undeployment completed with errors"
    return status, headers, {**body, "deploymentResult": {**overall, shape.list: [*ok, failed]}}


# -- secrets in answers ------------------------------------------------------------------------------------
def _presented(info: RequestInfo) -> str:
    return (info.authorization or "").partition(" ")[2]


@_transform("token-echo-header", [rules.TOKEN_NEVER_ECHOED],
            "echoes the Authorization header back in X-Debug-Authorization")
def _echo_header(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if info.authorization is None:
        return status, headers, body
    return status, {**headers, "x-debug-authorization": info.authorization}, body


@_transform("token-echo-body", [rules.TOKEN_NEVER_ECHOED], "quotes the presented token in a 401's error_description")
def _echo_body(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 401 and isinstance(body, dict):
        return status, headers, {**body, _message(info): f"Invalid token: {_presented(info)}"}
    return status, headers, body


def _java_escaped(text: str) -> str:
    """How Java serialisers (Gson's HTML-safe mode) write a string: ``/ = + < > & '`` as escapes."""
    escapes = {'"': '\\"', "\\": "\\\\", "/": "\\/", "=": "\\u003d", "+": "\\u002b", "<": "\\u003c",
               ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
    return "".join(escapes.get(character, character) for character in text)


@_transform("token-echo-json-escaped", [rules.TOKEN_NEVER_ECHOED],
            "quotes the token in every answer's body, escaped the way Java serialisers escape it (\\/, \\u003d, "
            "\\u002b)")
def _echo_escaped(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if not isinstance(body, dict) or not _presented(info):
        return status, headers, body
    text = json_text(body)[:-1] + f',"requestedBy":"{_java_escaped(_presented(info))}"}}'
    return status, headers, text.encode()


@_transform("token-echo-url-encoded", [rules.TOKEN_NEVER_ECHOED],
            "echoes the token percent-encoded: quote() in an X-Request-Token header, quote_plus() in the body")
def _echo_url_encoded(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    presented = _presented(info)
    if not presented:
        return status, headers, body
    echoed = {**body, "trace": f"token={quote_plus(presented)}"} if isinstance(body, dict) else body
    return status, {**headers, "x-request-token": quote(presented, safe="")}, echoed


@_transform("token-echo-base64", [rules.TOKEN_NEVER_ECHOED],
            "echoes the token in base64 headers: of the token (X-Token-Id) and of the whole header value "
            "(X-Auth-Echo)")
def _echo_base64(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if not info.authorization:
        return status, headers, body
    return status, {**headers, "x-token-id": base64.b64encode(_presented(info).encode()).decode(),
                    "x-auth-echo": base64.b64encode(info.authorization.encode()).decode()}, body


@_transform("token-echo-at-a-truncation-point", [rules.TOKEN_NEVER_ECHOED],
            "quotes the token in a 401 after padding, so that it straddles where messages cut an answer short")
def _echo_truncated(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 401 and isinstance(body, dict):
        padding = "The presented credential was rejected after validation. " * 3
        return status, headers, {**body, _message(info): f"{padding[:185]} {_presented(info)}"}
    return status, headers, body


@_transform("token-echo-in-a-server-error",
            [rules.TOKEN_NEVER_ECHOED, rules.DOCUMENTED, rules.MUST_EXIST, rules.PERMANENT, rules.USERNAME_CASE,
             rules.SCOPED, rules.MALFORMED_REJECTED],
            "answers a delete of a missing credential 500, quoting the token in the exception's message")
def _echo_500(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(info, status, body):
        return 500, headers, _edition(info).failure_body(
            "internal_error", f"NullPointerException at TokenFilter(token={_presented(info)})")
    return status, headers, body


@_transform("token-echo-to-the-preflight", [], "refuses the suite's first read with a 401 that quotes the token",
            caught_as="preflight", operation="listCredentials")
def _echo_preflight(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    return 401, headers, _edition(info).failure_body("unauthorized_client", f"Invalid token {_presented(info)}")


# -- a gateway that will not let go -----------------------------------------------------------------------
def _redirect(status: int, other_host: bool) -> Transform:
    def transform(info: RequestInfo, answered: int, headers: Headers, body: Any) -> Wire:
        origin = info.origin
        if other_host:  # the same gateway under another name: the credentials of the other host
            origin = origin.replace("127.0.0.1", "localhost") if "127.0.0.1" in origin else \
                origin.replace("localhost", "127.0.0.1")
        victim = f"{origin}/apiops/projects/{quote(info.params['projectName'], safe='')}/credentials/api-user/"
        return status, {"location": victim}, None

    return transform


for _status in (307, 308):
    for _other_host in (False, True):
        _register(Fault(
            f"redirect-{_status}-to-an-existing-credential{'-on-another-host' if _other_host else ''}",
            f"answers every delete with {_status}, pointing at a pre-existing credential (api-user) "
            f"{'of another host name' if _other_host else 'of the same host'}",
            _ids(rules.DOCUMENTED), transform=_redirect(_status, _other_host)))


_REFUSED = "stuck-after-a-refused-delete"  # its state in the model (fault_state)


def _lock_refused(gateway: Gateway) -> None:
    delete = gateway.delete_credential
    refused = gateway.fault_state.setdefault(_REFUSED, set())

    def locked(project: str, username: str) -> dict[str, Any]:
        if username in refused:
            raise RuntimeError("credential locked by an earlier request")  # -> 500, the credential stays
        return delete(project, username)

    _replace(gateway, "delete_credential", locked)


def _note_refused(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == _edition(info).answer(rules.REFUSED_TOKEN).status:
        info.gateway.fault_state.setdefault(_REFUSED, set()).add(info.params["username"])
    return status, headers, body


_register(Fault("stuck-after-a-refused-delete",
                "after a refused (401) delete of a credential, answers every later delete of it 500 and keeps it "
                "(a lock the refused request left), so the clean-up cannot remove it",
                _ids(rules.DOCUMENTED, rules.MALFORMED_REJECTED), caught_as="leftovers", patch=_lock_refused,
                transform=_note_refused))


async def _drip(data: bytes, pause: float) -> AsyncIterator[bytes]:
    for position in range(len(data)):
        await asyncio.sleep(pause)
        yield data[position:position + 1]


@_transform("body-drips", [rules.TIMELY],
            "sends the body of its answer to a request without Authorization one byte every half second",
            wire_only=True)
def _drips(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if info.authorization is None and isinstance(body, dict):
        return status, headers, _drip(json_text(body).encode(), 0.5)
    return status, headers, body


async def _late(data: bytes, delay: float) -> AsyncIterator[bytes]:
    await asyncio.sleep(delay)
    yield data


@_transform("body-after-a-delay", [rules.TIMELY],
            "sends a successful delete's headers at once and its body 1.2 s later, once undeployed (a budget "
            "that stops at the headers passes)", wire_only=True)
def _late_body(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if body is None or status != _edition(info).answer(rules.SUCCESS).status:
        return status, headers, body
    return status, headers, _late(json_text(body).encode() if not isinstance(body, bytes) else body, 1.2)


_HUGE = 800 * 1024 * 1024


async def _huge(data: bytes) -> AsyncIterator[bytes]:
    yield data[:-1]
    chunk = b" " * (1024 * 1024)  # JSON whitespace: still the same JSON, only endless
    for _ in range(_HUGE // len(chunk)):
        yield chunk
    yield data[-1:]


@_transform("huge-body", [rules.DOCUMENTED], "pads the unknown project's answer with 800 MB of whitespace",
            wire_only=True)
def _huge_body(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is(info, status, body, rules.UNKNOWN_PROJECT):
        return status, headers, _huge(json_text(body).encode())
    return status, headers, body


def json_text(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# -- server errors on unusual usernames --------------------------------------------------------------------
@_patch("server-error-on-non-ascii", [rules.ENCODED, rules.DOCUMENTED, rules.DELETED, rules.MALFORMED_REJECTED],
        "answers 500 for a non-ASCII username (the audit line is encoded as ASCII)")
def _non_ascii(gateway: Gateway) -> None:
    delete = gateway.delete_credential

    def audited(project: str, username: str) -> dict[str, Any]:
        f"DELETE credential {username} in {project}".encode("ascii")  # UnicodeEncodeError -> 500
        return delete(project, username)

    _replace(gateway, "delete_credential", audited)


@_patch("server-error-on-at-sign", [rules.ENCODED, rules.DOCUMENTED],
        "answers 500 for a username with '@' (read as user@realm, and the realm is unknown)")
def _at_sign(gateway: Gateway) -> None:
    delete = gateway.delete_credential
    realms = {"": "local"}

    def realm_lookup(project: str, username: str) -> dict[str, Any]:
        realms[username.rpartition("@")[2] if "@" in username else ""]  # KeyError -> 500
        return delete(project, username)

    _replace(gateway, "delete_credential", realm_lookup)


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@_patch("double-decode", [rules.ENCODED, rules.EXACTLY_ONE, rules.DOCUMENTED],
        "decodes a username a second time like Java's URLDecoder: '+' becomes a space, '%41' an 'A' (another "
        "credential), and a stray '%' answers 500")
def _double_decode(gateway: Gateway) -> None:
    delete = gateway.delete_credential

    def decoded_again(project: str, username: str) -> dict[str, Any]:
        if _BAD_ESCAPE.search(username):
            raise ValueError("URLDecoder: Illegal hex characters in escape (%) pattern")  # -> 500
        return delete(project, unquote_plus(username))

    _replace(gateway, "delete_credential", decoded_again)


# -- what it says it does ---------------------------------------------------------------------------------
def _declares_the_message_a_number(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    """In the published description, the missing credential's answer carries its message as an integer."""
    edition = _edition(info)
    if status == 200 and isinstance(body, dict):
        for item in body.get("paths", {}).values():
            delete = item.get("delete") if isinstance(item, dict) else None
            if isinstance(delete, dict) and delete.get("operationId") == DELETE:
                answer = delete.get("responses", {}).get(str(edition.answer(rules.MISSING_CREDENTIAL).status), {})
                for media in (answer.get("content") or {}).values():
                    schema = media.get("schema") or {}
                    schema.setdefault("properties", {})[edition.envelope.message] = {"type": "integer"}
                    media.pop("example", None)
    return status, headers, body


_register(Fault("published-spec-says-otherwise",
                "publishes a description whose missing-credential answer carries its message as an integer, while "
                "it still sends a string: the gateway's own spec contradicts what it does", (), "published-spec",
                transform=_declares_the_message_a_number, operation="getPublishedSpec"))


# -- slowness ---------------------------------------------------------------------------------------------
_register(Fault("slow-delete", "takes 1.2 s more to answer a successful delete (a synchronous undeployment "
                               "round-trip)",
                _ids(rules.TIMELY), delay=1.2, wire_only=True))


# -- applying ---------------------------------------------------------------------------------------------
def lookup(names: Iterable[str]) -> list[Fault]:
    """The faults named, in order, duplicates dropped; :class:`UnknownFault` names the first unknown one."""
    faults: list[Fault] = []
    for name in names:
        if name not in FAULTS:
            raise UnknownFault(f"unknown fault {name!r} (see python -m contracts.gateway --list-faults)")
        if FAULTS[name] not in faults:
            faults.append(FAULTS[name])
    return faults


def apply_faults(gateway: Gateway, names: Iterable[str]) -> dict[str, ResponseHook]:
    """Patch ``gateway`` with the named faults; return the response hook of each operation they touch.

    Every name is checked before anything is patched.
    """
    faults = lookup(names)
    for fault in faults:
        if fault.patch is not None:
            fault.patch(gateway)
    hooks: dict[str, ResponseHook] = {}
    for operation in {fault.operation for fault in faults}:
        mine = [fault for fault in faults if fault.operation == operation]
        hooks[operation] = _hook([fault.transform for fault in mine if fault.transform is not None],
                                 sum(fault.delay for fault in mine))
    return hooks


def _hook(transforms: list[Transform], delay: float) -> ResponseHook:
    async def hook(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
        if delay and status == 200:  # a success: the answer that (un)deploys
            await asyncio.sleep(delay)  # not time.sleep: other requests keep being served
        for transform in transforms:
            status, headers, body = transform(info, status, headers, body)
        return status, headers, body

    return hook


async def no_fault(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    """The hook of every operation that faults do not touch."""
    return status, headers, body


def describe() -> list[str]:
    """One line per fault (``--list-faults``)."""
    return [fault.describe() for fault in FAULTS.values()]
