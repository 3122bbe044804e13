"""The front door of a staging Manager that lives (conditions.py's ``login_after``, ``busy_after``, ``restart_after``):
ASGI in front of the whole app, counting every request from 1.

- a login page: from the Nth request on, every request (a GET, a token-free one too) is answered ``302 Found`` to
  ``<this server>/login?continue=...`` with a small HTML page, as an expired SSO session or a front door would;
- busy: from the Nth request, for ``busy_for`` seconds, every request is answered ``503`` with ``Retry-After: 1``,
  as a Manager busy deploying would;
- a restart: after the Nth request is answered, ``on_restart`` is called (server.py stops listening, and listens
  again on the same port).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape
from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.gateway.conditions import Conditions

LOGIN_PATH = "/login"
BUSY = b"503 Service Unavailable: the Manager is deploying; retry in a moment.\n"

LOGIN_PAGE = """<!DOCTYPE html>
<html><head><title>Sign in</title></head>
<body><h1>Sign in</h1><p>Your session has expired.</p>
<form method="post" action="{action}"><input name="username"> <input name="password" type="password">
<button type="submit">Sign in</button></form></body></html>
"""


class FrontDoor:
    """ASGI: counts every request (from 1) and answers for the Manager where the conditions say so.

    ``origin``: the server's own URL, where its login page is (else the request's ``Host``)."""

    def __init__(self, app: ASGIApp, conditions: Conditions, on_restart: Callable[[], None] | None = None,
                 origin: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.app, self.conditions, self.on_restart, self.clock = app, conditions, on_restart, clock
        self.origin = origin
        self.requests = 0
        self.busy_since: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1  # one event loop: no other request runs between these lines
        number, conditions = self.requests, self.conditions
        if number == conditions.busy_after:
            self.busy_since = self.clock()
        if conditions.login_after is not None and number >= conditions.login_after:
            await self.login(scope, send)
        elif self.busy_since is not None and self.clock() < self.busy_since + conditions.busy_for:
            await _send(send, 503, "text/plain; charset=utf-8", {"retry-after": "1"}, BUSY)
        else:
            await self.app(scope, receive, send)
        if number == conditions.restart_after and self.on_restart is not None:
            self.on_restart()  # after the answer: the Nth request is answered, the next one refused

    async def login(self, scope: Scope, send: Send) -> None:
        """``302 Found`` to the login page of this very server (an SSO session that expired), and the page itself."""
        host = dict(scope.get("headers", [])).get(b"host", b"localhost").decode("latin-1")
        origin = self.origin or f"{scope.get('scheme', 'http')}://{host}"
        if scope.get("path") == LOGIN_PATH:
            await _send(send, 200, "text/html;charset=UTF-8", {}, LOGIN_PAGE.format(action=LOGIN_PATH).encode())
            return
        location = f"{origin}{LOGIN_PATH}?continue={quote(scope.get('path', '/'), safe='')}"
        page = LOGIN_PAGE.format(action=escape(f"{origin}{LOGIN_PATH}")).encode()
        await _send(send, 302, "text/html;charset=UTF-8", {"location": location}, page)


async def _send(send: Send, status: int, media: str, headers: dict[str, str], body: bytes) -> None:
    raw = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()),
           *((name.encode(), value.encode("latin-1")) for name, value in headers.items())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
