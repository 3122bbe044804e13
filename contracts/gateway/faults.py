"""Named, realistic deviations from the contract, for proving that the suite catches them.

``--fault NAME`` (``python -m contracts.gateway``, ``GatewayServer(faults=...)``) makes the
reference gateway break exactly one documented rule. A fault is one of:

- ``patch(gateway)``: replaces one step of the clean model on that instance (``authenticate``,
  ``find_credential``, ``remove_credential``, ``delete_credential``), as a bug in that step would;
- ``transform(info, status, headers, body)``: rewrites the wire response of the endpoint under
  contract (``DELETE .../credentials/{username}/``), as a bug in its controller or serializer would;
- ``delay``: seconds added before that endpoint answers.

The model and app know nothing of faults: ``apply_faults`` patches the gateway and returns the one
response hook that app.py runs on the DELETE endpoint's responses.

In ``transform``, ``body`` is a JSON value, ``bytes`` (sent as is) or ``None`` (no body); header
names are lower case.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_plus

from contracts.gateway.model import ApiError, Credential, Gateway, Project, bad_request, project_not_found

Headers = dict[str, str]
Wire = tuple[int, Headers, Any]


@dataclass(frozen=True)
class RequestInfo:
    """What a transform may look at: the request as received, and the gateway that answered it."""

    method: str
    path: str  # raw, still percent-encoded
    params: dict[str, str]  # decoded path parameters
    authorization: str | None
    gateway: Gateway


Transform = Callable[[RequestInfo, int, Headers, Any], Wire]
ResponseHook = Callable[[RequestInfo, int, Headers, Any], Awaitable[Wire]]


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: str  # the rule of the contract it breaks, and how
    patch: Callable[[Gateway], None] | None = None
    transform: Transform | None = None
    delay: float = 0.0


class UnknownFault(ValueError):
    """A fault name that is not in :data:`FAULTS`."""


FAULTS: dict[str, Fault] = {}


def _register(fault: Fault) -> None:
    assert fault.name not in FAULTS, fault.name
    FAULTS[fault.name] = fault


def _transform(name: str, breaks: str) -> Callable[[Transform], Transform]:
    def register(function: Transform) -> Transform:
        _register(Fault(name, breaks, transform=function))
        return function

    return register


def _patch(name: str, breaks: str) -> Callable[[Callable[[Gateway], None]], Callable[[Gateway], None]]:
    def register(function: Callable[[Gateway], None]) -> Callable[[Gateway], None]:
        _register(Fault(name, breaks, patch=function))
        return function

    return register


def _replace(gateway: Gateway, step: str, function: Callable[..., Any]) -> None:
    """Shadow one method of the model on this instance only (setattr: mypy forbids method assignment)."""
    setattr(gateway, step, function)


def _is_error(body: Any, code: str) -> bool:
    return isinstance(body, dict) and body.get("error") == code


def _is_missing_credential(status: int, body: Any) -> bool:
    return (status == 400 and _is_error(body, "bad_request")
            and str(body.get("error_description", "")).startswith("Credential (username:"))


def _error_body(status: int, body: Any) -> bool:
    return status >= 400 and isinstance(body, dict)


# -- wrong statuses ---------------------------------------------------------------------------------
@_transform("status-204",
            "delete-credential.md: success is 200 with a JSON body; answers 204 No Content, no body")
def _status_204(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200:
        return status, headers, body
    return 204, {k: v for k, v in headers.items() if k != "content-type"}, None


@_transform("missing-credential-404",
            "delete-credential.md: a missing credential is 400 bad_request; answers 404 not_found")
def _missing_404(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(status, body):
        return 404, headers, {**body, "error": "not_found"}
    return status, headers, body


@_transform("unknown-project-400",
            "delete-credential.md: an unknown project is 404 not_found; answers 400 with the environments "
            "page's message (the lookup of get-environments-by-project.md reused)")
def _unknown_project_400(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 404 and _is_error(body, "not_found"):
        project = info.params["projectName"]
        message = f"Project not found for name: ({project}) or user has not privilege to access it!"
        return 400, headers, bad_request(message).body()
    return status, headers, body


@_transform("unknown-project-403",
            "delete-credential.md: an unknown project is 404 not_found; answers 403 forbidden "
            "(a permission check that runs before the existence check)")
def _unknown_project_403(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 404 and _is_error(body, "not_found"):
        message = "You do not have permission to perform this action"  # error-handling.md, 403
        return 403, headers, {"error": "forbidden", "error_description": message}
    return status, headers, body


@_transform("unauthorized-403",
            "authentication.md: a bad or missing token is 401 unauthorized_client; answers 403 access_denied "
            "(an entry point that forbids instead of challenging)")
def _unauthorized_403(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 401:
        return 403, headers, {"error": "access_denied", "error_description": "Access Denied"}
    return status, headers, body


# -- wrong error codes ------------------------------------------------------------------------------
@_transform("missing-credential-not-found-code",
            "delete-credential.md: a missing credential is error bad_request; keeps 400 but says not_found")
def _missing_code(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(status, body):
        return status, headers, {**body, "error": "not_found"}
    return status, headers, body


@_transform("unauthorized-invalid-request",
            "error-handling.md: a 401's error is one of unauthorized_client, invalid_token, token_expired; "
            "says invalid_request (an OAuth2 code from outside that list)")
def _invalid_request(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 401 and isinstance(body, dict):
        return status, headers, {**body, "error": "invalid_request"}
    return status, headers, body


# -- wrong or missing fields and types -----------------------------------------------------------------
@_transform("no-deployment-result",
            "delete-credential.md: a 200 carries deploymentResult; it is left out (undeployment not awaited)")
def _no_deployment_result(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 200 and isinstance(body, dict):
        return status, headers, {k: v for k, v in body.items() if k != "deploymentResult"}
    return status, headers, body


@_transform("success-as-string", 'delete-credential.md: success is the boolean true; sends the string "true"')
def _success_string(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 200 and isinstance(body, dict):
        return status, headers, {**body, "success": str(body["success"]).lower()}
    return status, headers, body


@_transform("environment-name-missing",
            "create-credential.md, Environment Result Object: each result has environmentName; sends name")
def _environment_name(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200 or not isinstance(body, dict):
        return status, headers, body
    result = body["deploymentResult"]
    renamed = [{("name" if k == "environmentName" else k): v for k, v in item.items()}
               for item in result["environmentResults"]]
    return status, headers, {**body, "deploymentResult": {**result, "environmentResults": renamed}}


@_transform("error-description-missing",
            "error-handling.md: every error has error_description; it is dropped (a null message omitted)")
def _no_description(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _error_body(status, body):
        return status, headers, {k: v for k, v in body.items() if k != "error_description"}
    return status, headers, body


@_transform("error-renamed", "error-handling.md: the error code is in error; sends it as errorCode")
def _error_renamed(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _error_body(status, body):
        return status, headers, {("errorCode" if k == "error" else k): v for k, v in body.items()}
    return status, headers, body


@_transform("username-not-named",
            'delete-credential.md: the 400 says "Credential (username: X) was not found!"; leaves X out')
def _username_not_named(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if _is_missing_credential(status, body):
        return status, headers, {**body, "error_description": "Credential was not found!"}
    return status, headers, body


# -- wrong content types, non-JSON bodies ------------------------------------------------------------
@_transform("text-plain", "error-handling.md: responses are JSON; labels every one text/plain")
def _text_plain(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    return status, {**headers, "content-type": "text/plain;charset=UTF-8"}, body


@_transform("html-error-page",
            "error-handling.md: errors are JSON {error, error_description}; answers a servlet container's "
            "HTML error page")
def _html_error(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status < 400:
        return status, headers, body
    title = f"HTTP Status {status} – {HTTPStatus(status).phrase}"
    page = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return status, {**headers, "content-type": "text/html;charset=utf-8"}, page.encode()


@_transform("non-json-body",
            "delete-credential.md: the 200 body is JSON; sends Python's repr of it (str(dict) instead of "
            "json.dumps), still labelled application/json")
def _non_json(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 200:
        return status, headers, repr(body).encode()
    return status, headers, body


# -- authentication holes ------------------------------------------------------------------------------
def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@_patch("any-token", "authentication.md: a wrong token is 401; any non-empty Bearer token is accepted "
                     "(the token is parsed, never compared)")
def _any_token(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def any_token(authorization: str | None) -> None:
        if not _bearer(authorization):
            authenticate(authorization)

    _replace(gateway, "authenticate", any_token)


@_patch("missing-header-accepted",
        "authentication.md: a request without Authorization is 401; it is let through (the filter "
        "only checks a header that is there)")
def _missing_header(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def lenient(authorization: str | None) -> None:
        if authorization is not None:
            authenticate(authorization)

    _replace(gateway, "authenticate", lenient)


@_patch("any-scheme",
        "authentication.md: the header is 'Bearer {token}'; the right token under any scheme (Basic ...) "
        "is accepted (the scheme is skipped, not checked)")
def _any_scheme(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def schemeless(authorization: str | None) -> None:
        if authorization is None:
            authenticate(None)
        else:
            authenticate("Bearer " + authorization.partition(" ")[2])

    _replace(gateway, "authenticate", schemeless)


@_patch("empty-bearer-accepted",
        "authentication.md: 'Bearer ' with no token is 401; it is accepted (tokens compared with "
        "startswith, and the empty string prefixes every token)")
def _empty_bearer(gateway: Gateway) -> None:
    authenticate = gateway.authenticate

    def prefix(authorization: str | None) -> None:
        presented = _bearer(authorization)
        if presented is None or not gateway.token.startswith(presented):
            authenticate(authorization)

    _replace(gateway, "authenticate", prefix)


@_transform("auth-after-project",
            "authentication.md: the token is checked first; a bad token on an unknown project answers "
            "404 not_found (the project is resolved before the token is checked)")
def _auth_after_project(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    project = info.params["projectName"]
    if status == 401 and not info.gateway.has_project(project):
        return 404, headers, project_not_found(project).body()
    return status, headers, body


# -- deletions that do not happen, or reach too far ------------------------------------------------------
@_patch("delete-not-done",
        "delete-credential.md, Permanent Deletion: answers 200 but the credential stays (never committed)")
def _delete_not_done(gateway: Gateway) -> None:
    def uncommitted(credential: Credential) -> None:
        return None

    _replace(gateway, "remove_credential", uncommitted)


@_patch("delete-whole-project",
        "delete-credential.md: deletes the one named credential; deletes every credential of the project "
        "(the DELETE's WHERE clause lost its username)")
def _delete_whole_project(gateway: Gateway) -> None:
    remove = gateway.remove_credential

    def everything(credential: Credential) -> None:
        for other in [c for c in gateway.credentials.values() if c.project == credential.project]:
            remove(other)

    _replace(gateway, "remove_credential", everything)


@_patch("delete-case-insensitive",
        "base-url.md: names are case-sensitive; a case variant of a username finds and deletes the "
        "credential (a case-insensitive collation)")
def _case_insensitive(gateway: Gateway) -> None:
    find = gateway.find_credential

    def folded(project: Project, username: str) -> Credential:
        for credential in gateway.credentials.values():
            if credential.project == project.name and credential.username.casefold() == username.casefold():
                return credential
        return find(project, username)

    _replace(gateway, "find_credential", folded)


@_patch("delete-ignores-project",
        "list-credentials.md, Project Scope: a credential is reached only through its project; one of "
        "another project is found, and deleted, through this one (looked up by username alone)")
def _ignores_project(gateway: Gateway) -> None:
    find = gateway.find_credential

    def unscoped(project: Project, username: str) -> Credential:
        return gateway.credentials.get(username) or find(project, username)

    _replace(gateway, "find_credential", unscoped)


@_patch("grants-survive-delete",
        "delete-credential.md, Access Revocation: the credential's grants go with it; they stay behind, "
        "and a new credential of the same username inherits them")
def _grants_survive(gateway: Gateway) -> None:
    def credential_only(credential: Credential) -> None:
        gateway.credentials.pop(credential.username, None)

    _replace(gateway, "remove_credential", credential_only)


@_patch("soft-delete",
        "delete-credential.md, Permanent Deletion: a second delete is 400; deletion only marks the "
        "credential, and the lookup still finds marked ones, so the second delete answers 200 again")
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


# -- undeployment --------------------------------------------------------------------------------------
@_transform("incomplete-undeployment",
            "delete-credential.md, Automatic Undeployment: every environment is reported; the last one is "
            "missing from environmentResults (an off-by-one)")
def _incomplete(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200 or not isinstance(body, dict):
        return status, headers, body
    result = body["deploymentResult"]
    shorter = result["environmentResults"][:-1]
    return status, headers, {**body, "deploymentResult": {**result, "environmentResults": shorter}}


@_transform("failed-undeployment",
            "delete-credential.md, Automatic Undeployment: undeployed from all environments; the last "
            "environment reports success false (unreachable), still answered 200")
def _failed(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status != 200 or not isinstance(body, dict) or not body["deploymentResult"]["environmentResults"]:
        return status, headers, body
    result = body["deploymentResult"]
    *ok, last = result["environmentResults"]
    failed = {**last, "success": False, "message": "Undeployment failed: environment unreachable"}
    return status, headers, {**body, "deploymentResult": {
        **result, "success": False, "message": "Undeployment completed with errors",
        "environmentResults": [*ok, failed]}}


# -- secrets in responses --------------------------------------------------------------------------------
@_transform("token-echo-header",
            "authentication.md, Token Security: the token is secret; the Authorization header is echoed "
            "back in X-Debug-Authorization")
def _echo_header(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if info.authorization is None:
        return status, headers, body
    return status, {**headers, "x-debug-authorization": info.authorization}, body


@_transform("token-echo-body",
            "authentication.md, Token Security: the token is secret; a 401 quotes the presented token in "
            "error_description")
def _echo_body(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == 401 and isinstance(body, dict):
        presented = (info.authorization or "").partition(" ")[2]
        return status, headers, {**body, "error_description": f"Invalid token: {presented}"}
    return status, headers, body


# -- server errors on unusual usernames --------------------------------------------------------------------
@_patch("500-on-non-ascii",
        "base-url.md, URL Encoding: any username can be deleted; a non-ASCII one answers 500 (the audit "
        "line is encoded as ASCII)")
def _non_ascii(gateway: Gateway) -> None:
    delete = gateway.delete_credential

    def audited(project: str, username: str) -> dict[str, Any]:
        f"DELETE credential {username} in {project}".encode("ascii")  # UnicodeEncodeError -> 500
        return delete(project, username)

    _replace(gateway, "delete_credential", audited)


@_patch("500-on-at-sign",
        "base-url.md, URL Encoding: any username can be deleted; one with '@' answers 500 (read as "
        "user@realm, and the realm is unknown)")
def _at_sign(gateway: Gateway) -> None:
    delete = gateway.delete_credential
    realms = {"": "local"}

    def realm_lookup(project: str, username: str) -> dict[str, Any]:
        realms[username.rpartition("@")[2] if "@" in username else ""]  # KeyError -> 500
        return delete(project, username)

    _replace(gateway, "delete_credential", realm_lookup)


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@_patch("double-decode",
        "base-url.md, URL Encoding: a username is decoded once; it is decoded again like Java's "
        "URLDecoder, so '+' becomes a space (wrong credential) and a stray '%' answers 500")
def _double_decode(gateway: Gateway) -> None:
    delete = gateway.delete_credential

    def decoded_again(project: str, username: str) -> dict[str, Any]:
        if _BAD_ESCAPE.search(username):
            raise ValueError("URLDecoder: Illegal hex characters in escape (%) pattern")  # -> 500
        return delete(project, unquote_plus(username))

    _replace(gateway, "delete_credential", decoded_again)


# -- slowness ---------------------------------------------------------------------------------------------
_register(Fault("slow-delete", "the suite's response-time budget for the DELETE (--max-response-time); every "
                               "answer takes 1.5 s more (a synchronous undeployment round-trip)", delay=1.5))


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


def apply_faults(gateway: Gateway, names: Iterable[str]) -> ResponseHook:
    """Patch ``gateway`` with the named faults; return the hook for the DELETE endpoint's responses.

    Every name is checked before anything is patched.
    """
    faults = lookup(names)
    for fault in faults:
        if fault.patch is not None:
            fault.patch(gateway)
    transforms = [fault.transform for fault in faults if fault.transform is not None]
    delay = sum(fault.delay for fault in faults)

    async def hook(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
        if delay:
            await asyncio.sleep(delay)  # not time.sleep: other requests keep being served
        for transform in transforms:
            status, headers, body = transform(info, status, headers, body)
        return status, headers, body

    return hook


async def no_fault(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    """The hook of every endpoint that faults do not touch."""
    return status, headers, body


def describe() -> list[str]:
    """``name: what it breaks``, one line per fault (``--list-faults``)."""
    return [f"{fault.name}: {fault.breaks}" for fault in FAULTS.values()]
