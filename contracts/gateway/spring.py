"""The reference gateway on the stack a real Manager runs on (contracts/stack.yaml): what it answers itself.

:class:`SpringStack` wraps the dispatcher (app.py) as a Spring Boot Manager's stack wraps its code,
in the order a request meets it:

1. Tomcat refuses TRACE (``allowTrace=false``): 405, ``Allow`` from the servlet's methods, Spring
   Boot's error body;
2. with ``firewall``, Spring Security's ``StrictHttpFirewall`` refuses a raw path it does not route
   (``;``, ``%25``, ``%2F``, ``\\`` ...) or a method outside its list: 400, Spring Boot's error body,
   and the connection closed. Before any security filter: the token is not looked at;
3. the token (a Spring Security filter: the edition's refusal, as the Manager's own code answers it);
4. Spring MVC: OPTIONS on a mapped path answers 200 with ``Allow`` (the mapped methods, plus OPTIONS);
   an unmapped method 405 with ``Allow`` and the error body; an unmapped path 404 and the error body;
5. the Manager's code: the dispatcher, as before.

Faults (faults/) are the Manager's code's: they live behind this layer and are caught through it.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from starlette.types import Receive, Scope, Send

from contracts import stack as stack_data
from contracts.editions import Edition
from contracts.gateway.model import ApiError, Gateway
from contracts.gateway.timing import NO_METHOD, NO_ROUTE, Timing


class ManagerCode(Protocol):
    """What the stack needs of the Manager's code behind it (app.Dispatcher, which builds the stack on itself: the
    stack does not import it back). ``route`` gives a tuple whose first item has the mapped ``methods`` for a path
    the code maps, something else for one it does not."""

    timing: Timing
    gateway: Gateway

    @property
    def edition(self) -> Edition: ...

    def route(self, raw_path: str) -> Any: ...

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...

JSON = "application/json"


class SpringStack:
    """ASGI: the stack's own answers in front of ``dispatcher`` (app.Dispatcher)."""

    def __init__(self, dispatcher: ManagerCode, *, firewall: bool = False) -> None:
        self.dispatcher, self.firewall, self.data = dispatcher, firewall, stack_data.load()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.dispatcher(scope, receive, send)
            return
        answer = self.answer(scope)
        if answer is None:
            await self.dispatcher(scope, receive, send)
            return
        status, headers, body = answer
        await self.dispatcher.timing.answer()
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        raw = [(b"content-length", str(len(content)).encode()),
               *((name.encode(), value.encode()) for name, value in headers.items())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": content})

    def answer(self, scope: Scope) -> tuple[int, dict[str, str], object] | None:
        """The stack's own answer to this request, or None: the Manager's code answers it."""
        data, method = self.data, str(scope["method"]).upper()
        raw_path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        stats = self.dispatcher.timing.stats
        if method == "TRACE":
            stats.request(NO_METHOD)
            return self.error_page(stack_data.TRACE, raw_path, {"allow": ", ".join(data.servlet_methods)})
        if self.firewall and data.firewall_refuses(method, raw_path):
            stats.request(NO_ROUTE)
            return self.error_page(stack_data.FIREWALL, raw_path, {"connection": "close"})
        routed = self.dispatcher.route(raw_path)
        if not isinstance(routed, tuple):
            stats.request(NO_ROUTE)
            return self.error_page(stack_data.UNMAPPED_PATH, raw_path)
        endpoint = routed[0]
        if method in endpoint.methods:
            return None
        authorization = dict(scope.get("headers", [])).get(b"authorization")
        try:  # Spring Security's filters run before the dispatcher servlet
            self.dispatcher.gateway.authenticate(authorization.decode("latin-1") if authorization else None)
        except ApiError as refused:
            stats.request(NO_METHOD)
            return refused.status, {"content-type": JSON}, refused.body(self.dispatcher.edition)
        stats.request(NO_METHOD)
        mapped = sorted(endpoint.methods)
        if method == "OPTIONS":
            allow = [*mapped, *data.answers[stack_data.OPTIONS]["adds"], *(["HEAD"] if "GET" in mapped else [])]
            return data.status(stack_data.OPTIONS), {"allow": ", ".join(dict.fromkeys(allow))}, None
        return self.error_page(stack_data.UNMAPPED_METHOD, raw_path, {"allow": ", ".join(mapped)})

    def error_page(self, kind: str, raw_path: str,
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], object]:
        status = self.data.status(kind)
        return status, {"content-type": JSON, **(headers or {})}, self.data.error_page(status, raw_path)
