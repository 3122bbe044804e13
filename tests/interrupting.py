"""What the reference gateway's own conditions (contracts/gateway/conditions.py: a restart, a login page's 302, a
busy Manager's 503s) do not answer, for the self-tests of interrupted runs (issue 28): the reference gateway behind an
ASGI wrapper that turns a condition on at the k-th create it passes on.

- ``login-page``: from that create on, every request is answered 200 with a login page (a front door that serves
  its page in place of the API); ``login-once``: that one request alone is redirected to ``/login``, as a
  Manager's own wrong answer would be;

Broken answers, from the first request on (``at=0``): ``gzip-label``: every DELETE's answer is labelled
``Content-Encoding: gzip`` and is not gzip; ``bom``: every answer's body begins with a UTF-8 byte order mark.

The trigger counts creates (POST of a credential list), or with ``on="delete"`` the DELETEs of a test's credential,
that reach the wrapper; ``fired`` is set once it fired.
"""

from __future__ import annotations

import codecs
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.gateway.server import GatewayServer, ServerThread
from contracts.naming import PREFIX
from tests.conftest import TOKEN

LOGIN_PAGE = (b"<!doctype html><html><head><title>Sign in</title></head>"
              b"<body><form action=\"/login\"></form></body></html>")


class Living:
    """The ASGI wrapper: passes every request on until the ``at``-th create, then the condition."""

    def __init__(self, app: ASGIApp, condition: str, at: int, on: str = "create") -> None:
        self.app, self.condition, self.at, self.on = app, condition, at, on
        self.creates = 0
        self.fired = threading.Event()
        if at == 0:
            self.fired.set()
        self.answered = 0  # requests answered by the condition, not the gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        create = scope["method"] == "POST" and scope["path"].endswith("/credentials/")
        # A DELETE of a test's credential (the routing probes before the tests delete names never created).
        delete = scope["method"] == "DELETE" and "-cred-" in scope["path"]
        if not self.fired.is_set() and (create if self.on == "create" else delete):
            self.creates += 1
            if self.creates == self.at:
                self.fired.set()
        if self.fired.is_set() and self.condition == "login-once" and not self.answered:
            await self._answer(receive, send, 302, [(b"location", b"/login?next=%2Fapiops"),
                                                    (b"content-type", b"text/html;charset=utf-8")], LOGIN_PAGE)
            return
        if self.fired.is_set() and self.condition == "login-page":
            await self._answer(receive, send, 200, [(b"content-type", b"text/html;charset=utf-8")], LOGIN_PAGE)
            return
        if self.condition == "bom" or (self.condition == "gzip-label" and scope["method"] == "DELETE"):
            await self._mangled(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _mangled(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The gateway's answer, whole, then sent broken as the condition says."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        body = b"".join(chunks)
        headers = [(name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"]
        if self.condition == "bom":
            body = codecs.BOM_UTF8 + body
        else:
            headers.append((b"content-encoding", b"gzip"))
        self.answered += 1
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, receive: Receive, send: Send, status: int, headers: list[tuple[bytes, bytes]],
                      body: bytes) -> None:
        self.answered += 1
        while (await receive()).get("more_body"):  # the request's body read and dropped
            pass
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


@dataclass
class Staging:
    gateway: GatewayServer
    living: Living
    url: str  # the Manager URL the run is given

    def left(self) -> list[str]:
        """The suite's credentials the gateway's own state still holds, in every project."""
        return sorted(name for name in self.gateway.gateway.credentials if name.startswith(PREFIX))


@contextlib.contextmanager
def staging(condition: str, at: int = 3, on: str = "create") -> Iterator[Staging]:
    with GatewayServer(token=TOKEN, timeout_keep_alive=75) as gateway:
        living = Living(gateway.app, condition, at, on)
        thread = ServerThread(living, timeout_keep_alive=75)
        thread.start()
        try:
            yield Staging(gateway, living, thread.url)
        finally:
            thread.stop()
