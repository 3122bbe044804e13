"""The reference gateway on the wire: the model (model.py) behind the Management API's routes.

Every request goes through :meth:`Dispatcher.respond`, in this order:

1. route on the *raw* path (``scope["raw_path"]``): each segment is percent-decoded exactly once,
   after splitting, so ``%2F`` stays inside a name, ``%2540`` is the name ``%40`` and a literal
   ``+`` stays ``+`` (it means a space only in query strings). Unknown path: 404 ``not_found``;
   a segment that is not percent-encoded UTF-8: 400 ``bad_request``.
2. a method the path does not have: 405 ``method_not_allowed`` with ``Allow``;
3. trailing slash: base-url.md says every endpoint ends with ``/`` and calls the slash-less form
   incorrect, so a path without it answers ``308 Permanent Redirect`` to the same path with the
   slash (308, not 301/302: the method and body are kept, so a redirected DELETE stays a DELETE).
   get-environments-by-project.md writes its path without the slash, so that one takes both;
4. authentication (authentication.md), before any project or credential is looked up;
5. the model call; its :class:`ApiError` becomes the documented JSON error, anything else a 500
   ``internal_error`` (error-handling.md);
6. the operation's response hook: the faults (faults/) that touch that operation, identity for
   every other one. A hook may turn the body into a stream (a gateway that drips, or never stops).

Timing (timing.py), for a reference gateway as slow as a remote one: a successful model call of an
operation that deploys or undeploys (step 5) waits ``deploy_ms`` before step 6, and every answer,
whichever step gave it, waits ``latency_ms`` before it is sent. Every request is counted by
operation name as soon as it is routed (``timing.stats``).

Routing and the trailing-slash redirect come before authentication: they are about the URL, not
the resource, and answer alike with or without a token.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_to_bytes

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from contracts import editions
from contracts.editions import Edition
from contracts.gateway.faults import Headers, RequestInfo, ResponseHook, apply_faults, no_fault
from contracts.gateway.model import ApiError, Gateway, bad_request
from contracts.gateway.spring import SpringStack
from contracts.gateway.timing import NO_METHOD, NO_ROUTE, Timing

API_PREFIX = "/apiops/"
JSON = "application/json;charset=UTF-8"  # overview.md and overview-details.md, Response Headers
YAML = "application/yaml"
SERVER_ERROR = "server-error"  # the edition's answer to a bug (error-handling.md, 500)
UPDATE_PAGE = "update-credential.md"  # an edition whose pages have it answers Update Credential (PUT)
log = logging.getLogger(__name__)

Params = dict[str, str]
Call = Callable[[Gateway, Params, bytes], dict[str, Any]]
# The gateway's own OpenAPI description, as a gateway started with these faults in this edition publishes it.
Publish = Callable[[Sequence[str], Edition], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    """One method of one path: how to call the model, and the hook its responses go through."""

    name: str  # the page's operation, for logs and readers
    call: Call
    reads_body: bool = False
    hook: ResponseHook = no_fault
    media: str = JSON  # how a 200 body is written
    public: bool = False  # answered without a token (the token endpoint)


@dataclass(frozen=True)
class Endpoint:
    segments: tuple[str, ...]  # literal segments, and "{param}" ones
    methods: dict[str, Operation]
    slash: bool | None = True  # True: trailing slash required (redirected to); None: either way

    def match(self, segments: list[str]) -> Params | None:
        if len(segments) != len(self.segments):
            return None
        params: Params = {}
        for pattern, value in zip(self.segments, segments, strict=True):
            if pattern.startswith("{"):
                if not value:
                    return None
                params[pattern[1:-1]] = value
            elif pattern != value:
                return None
        return params


def json_body(raw: bytes) -> object:
    """The request body as JSON; ``None`` when there is none (the model then says what it needs)."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        raise bad_request("Malformed JSON request body!") from None


def form_body(raw: bytes) -> dict[str, str]:
    """A form-encoded request body (``application/x-www-form-urlencoded``), the last value of each field."""
    return {key: values[-1] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}


def _who(params: Params) -> tuple[str, str]:
    return params["projectName"], params["username"]


def endpoints(hooks: dict[str, ResponseHook] | None = None, faults: Sequence[str] = (),
              edition: Edition | None = None, *, publish: Publish) -> list[Endpoint]:
    """The routes under ``/apiops/``; each handler only unpacks the request for the model.

    ``hooks``: the response hook of each operation name that faults touch; ``faults``: their names (the
    published description describes the gateway as its faults make it); ``edition``: where the
    supporting operations live (the environments list moved between editions), and whether it answers Update
    Credential (``PUT`` on the credentials path, where the edition's pages have update-credential.md); ``publish``: what
    ``openapi.yaml`` and ``openapi.json`` answer (describe.openapi_description, passed in: describe.py builds its
    apps from this module).
    """
    edition = edition or editions.base()
    project = "{projectName}"
    environments_path = tuple(part for part in edition.path(
        "getEnvironmentsByProject", "/environments/{projectName}").strip("/").split("/"))
    credential = ("projects", project, "credentials", "{username}")
    credentials: dict[str, Operation] = {
        "GET": Operation("listCredentials", lambda g, p, b: g.list_credentials(p["projectName"])),
        "POST": Operation("createCredential", lambda g, p, b: g.create_credential(p["projectName"], json_body(b)),
                          reads_body=True),
    }
    if UPDATE_PAGE in edition.pages:  # update-credential.md, where the edition documents it
        credentials["PUT"] = Operation("updateCredential",
                                       lambda g, p, b: g.update_credential(p["projectName"], json_body(b)),
                                       reads_body=True)
    routes = [
        Endpoint(("projects",), {
            "GET": Operation("listProjects", lambda g, p, b: g.list_projects()),  # list-projects.md
        }),
        Endpoint(("auth", "token"), {  # authentication.md, Method 2: a service account's token
            "POST": Operation("issueToken", lambda g, p, b: g.issue_token(form_body(b)), reads_body=True,
                              public=True),
        }, slash=None),
        Endpoint(environments_path, {  # get-environments-by-project.md, where the edition has it
            "GET": Operation("getEnvironmentsByProject", lambda g, p, b: g.environments(p["projectName"])),
        }, slash=None if environments_path[0] == "environments" else True),
        Endpoint(("openapi.yaml",), {  # openapi-spec.md: the gateway's own description, as YAML ...
            "GET": Operation("getPublishedSpec", lambda g, p, b: publish(faults, g.edition), media=YAML),
        }, slash=False),
        Endpoint(("openapi.json",), {  # ... and as JSON
            "GET": Operation("getPublishedSpecJson", lambda g, p, b: publish(faults, g.edition)),
        }, slash=False),
        Endpoint(("projects", project, "apiProxies"), {  # list-api-proxies.md
            "GET": Operation("listApiProxies", lambda g, p, b: g.api_proxies(p["projectName"])),
        }),
        Endpoint(("projects", project, "apiProxyGroups"), {  # list-api-proxy-groups.md
            "GET": Operation("listApiProxyGroups", lambda g, p, b: g.api_proxy_groups(p["projectName"])),
        }),
        Endpoint(("projects", project, "credentials"), credentials),
        Endpoint(credential, {  # delete-credential.md: the endpoint under contract
            "DELETE": Operation("deleteCredential", lambda g, p, b: g.delete_credential(*_who(p))),
            # change-credential-password.md: the other method of the credential path
            "PATCH": Operation("changeCredentialPassword",
                               lambda g, p, b: g.change_password(*_who(p), json_body(b)), reads_body=True),
        }),
        Endpoint((*credential, "access"), {
            "GET": Operation("getGrantedAccessList", lambda g, p, b: g.granted_access(*_who(p))),
            "PUT": Operation("grantAccess", lambda g, p, b: g.grant_access(*_who(p), json_body(b)),
                             reads_body=True),
            "DELETE": Operation("revokeAccess", lambda g, p, b: g.revoke_access(*_who(p), json_body(b)),
                                reads_body=True),
        }),
    ]
    for endpoint in routes:
        for method, operation in endpoint.methods.items():
            if hooks and operation.name in hooks:
                endpoint.methods[method] = dataclasses.replace(operation, hook=hooks[operation.name])
    return routes


def error(edition: Edition, status: int, code: str, description: str, headers: Headers | None = None) -> Response:
    """An error the gateway answers before any model call, in the edition's envelope."""
    return encode(status, {"content-type": JSON, **(headers or {})}, edition.failure_body(code, description))


def encode(status: int, headers: Headers, body: Any) -> Response:
    """``body``: ``None`` is no body, ``bytes`` are sent as they are, an async iterator is streamed, anything
    else is compact JSON."""
    if isinstance(body, AsyncIterator):
        return StreamingResponse(body, status, headers=headers)
    if body is None:
        content = b""
    elif isinstance(body, bytes):
        content = body
    else:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status, headers=headers)


@dataclass
class Dispatcher:
    gateway: Gateway
    routes: list[Endpoint]
    timing: Timing = field(default_factory=Timing)

    @property
    def edition(self) -> Edition:
        return self.gateway.edition

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no websockets, and lifespan is not routed here
            return
        response = await self.respond(Request(scope, receive))
        await self.timing.answer()
        await response(scope, receive, send)

    def route(self, raw_path: str) -> tuple[Endpoint, Params, bool] | Response:
        if not raw_path.startswith(API_PREFIX):
            return error(self.edition, 404, "not_found", "No endpoint at this path; the API is under /apiops/")
        rest = raw_path[len(API_PREFIX):]
        slash = rest.endswith("/")
        try:
            # latin-1 maps the raw bytes back one to one, so unencoded UTF-8 bytes decode too.
            segments = [unquote_to_bytes(part).decode("utf-8") for part in
                        (rest[:-1] if slash else rest).encode("latin-1").split(b"/")]
        except UnicodeDecodeError:
            return error(self.edition, 400, "bad_request", "The path is not percent-encoded UTF-8")
        for endpoint in self.routes:
            params = endpoint.match(segments)
            if params is not None:
                return endpoint, params, slash
        return error(self.edition, 404, "not_found", "No endpoint at this path")

    async def respond(self, request: Request) -> Response:
        scope = request.scope
        raw_path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        routed = self.route(raw_path)
        if isinstance(routed, Response):
            self.timing.stats.request(NO_ROUTE)
            return routed
        endpoint, params, slash = routed
        operation = endpoint.methods.get(request.method)
        self.timing.stats.request(NO_METHOD if operation is None else operation.name)
        if operation is None:
            allowed = ", ".join(sorted(endpoint.methods))
            description = f"{request.method} is not allowed here; allowed: {allowed}"
            return error(self.edition, 405, "method_not_allowed", description, {"allow": allowed})
        if endpoint.slash and not slash:
            query = scope.get("query_string", b"").decode("latin-1")
            location = raw_path + "/" + (f"?{query}" if query else "")
            return Response(status_code=308, headers={"location": location})
        raw_body = await request.body() if operation.reads_body else b""
        authorization = request.headers.get("authorization")
        origin = f"{request.url.scheme}://{request.url.netloc}"
        info = RequestInfo(request.method, raw_path, params, authorization, self.gateway, origin)
        status, headers, body = self.call(operation, info, raw_body)
        await self.timing.deployed(operation.name, status)
        status, headers, body = await operation.hook(info, status, headers, body)
        if status == 200 and operation.media == YAML and isinstance(body, dict):
            headers, body = {**headers, "content-type": YAML}, yaml.safe_dump(body, sort_keys=False).encode()
        return encode(status, headers, body)

    def call(self, operation: Operation, info: RequestInfo, raw_body: bytes) -> tuple[int, Headers, Any]:
        headers = {"content-type": JSON}
        try:
            if not operation.public:
                self.gateway.authenticate(info.authorization)
            return 200, headers, operation.call(self.gateway, info.params, raw_body)
        except ApiError as exc:
            return exc.status, headers, exc.body(self.edition)
        except Exception:
            log.exception("%s %s failed", operation.name, info.path)
            return self.edition.answer_body(SERVER_ERROR)[0], headers, self.edition.answer_body(SERVER_ERROR)[1]


def _internal_error(edition: Edition) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        """Last resort for a bug outside the model call (error-handling.md, 500)."""
        status, body = edition.answer_body(SERVER_ERROR)
        return encode(status, {"content-type": JSON}, body)

    return handler


def assemble(gateway: Gateway, faults: Sequence[str] = (), timing: Timing | None = None, *, publish: Publish,
             stack: bool = True, firewall: bool = False) -> Starlette:
    """The reference gateway as an ASGI app, publishing the description ``publish`` gives (server.create_app
    passes describe.py's; its arguments are create_app's)."""
    dispatcher = Dispatcher(gateway, endpoints(apply_faults(gateway, faults), faults, gateway.edition,
                                               publish=publish), timing or Timing())
    app = Starlette(exception_handlers={Exception: _internal_error(gateway.edition)})
    # Every request goes to the dispatcher, as the router's default: a Mount's path regex would not
    # match a decoded newline (%0A) and Starlette would answer a plain-text 404 outside the contract.
    app.router.default = SpringStack(dispatcher, firewall=firewall) if stack or firewall else dispatcher
    app.state.gateway = gateway
    app.state.timing = dispatcher.timing
    return app
