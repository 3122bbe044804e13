"""A staging that lives, for the self-tests of interrupted runs (issue 28): the reference gateway behind an ASGI
wrapper that turns a condition on at the k-th create it passes on, and a TCP forwarder in front that can restart.

- ``busy``: from that create on, every request is answered 503 with ``Retry-After: 1`` for ``seconds``, without
  passing it on (a Manager busy deploying); then all goes through again;
- ``login``: from that create on, every request is answered 302 to ``/login`` with an HTML page (an SSO session
  or a front door that starts redirecting to a login page), for good; ``login-page``: the same page with a 200;
  ``login-once``: that one request alone is redirected, as a Manager's own wrong answer would be;
- ``restart``: just after that create was answered, the forwarder closes its connections and its listening socket
  for ``seconds`` (connections refused), then listens on the same port again; the store is intact.

Broken answers, from the first request on (``at=0``): ``gzip-label``: every DELETE's answer is labelled
``Content-Encoding: gzip`` and is not gzip; ``bom``: every answer's body begins with a UTF-8 byte order mark.

The trigger counts creates (POST of a credential list), or with ``on="delete"`` the DELETEs of a test's credential,
that reach the wrapper; ``fired`` is set once it fired.
"""

from __future__ import annotations

import codecs
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.gateway.server import GatewayServer, ServerThread
from contracts.naming import PREFIX
from tests.conftest import TOKEN

LOGIN_PAGE = (b"<!doctype html><html><head><title>Sign in</title></head>"
              b"<body><form action=\"/login\"></form></body></html>")


class Forwarder:
    """TCP on a loopback port, piped to ``upstream``; :meth:`restart` refuses connections for a while."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._serving = threading.Thread(target=self._serve, args=(self._listener,), daemon=True)
        self._serving.start()

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def restart(self, seconds: float) -> None:
        """Down (every connection closed, the port refusing) for ``seconds``, then up on the same port."""
        with contextlib.suppress(OSError):  # wakes the accept() under way: a close alone leaves it one more
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()
        time.sleep(seconds)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._serve, args=(listener,), daemon=True).start()

    def close(self) -> None:
        self._listener.close()


class Living:
    """The ASGI wrapper: passes every request on until the ``at``-th create, then the condition."""

    def __init__(self, app: ASGIApp, condition: str, at: int, seconds: float = 3.0, on: str = "create") -> None:
        self.app, self.condition, self.at, self.seconds, self.on = app, condition, at, seconds, on
        self.creates = 0
        self.fired = threading.Event()
        if at == 0:
            self.fired.set()
        self.until = 0.0
        self.forwarder: Forwarder | None = None
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
                self.until = time.monotonic() + self.seconds
                if self.condition == "restart":
                    await self.app(scope, receive, send)  # made and answered, then the restart
                    assert self.forwarder is not None
                    threading.Timer(0.05, self.forwarder.restart, args=(self.seconds,)).start()
                    return
        if self.fired.is_set() and self.condition == "busy" and time.monotonic() < self.until:
            await self._answer(receive, send, 503, [(b"retry-after", b"1"), (b"content-type", b"text/html")],
                               b"<html><body>Service Unavailable</body></html>")
            return
        if self.fired.is_set() and self.condition == "login":
            await self._answer(receive, send, 302, [(b"location", b"/login?next=%2Fapiops"),
                                                    (b"content-type", b"text/html;charset=utf-8")], LOGIN_PAGE)
            return
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
def staging(condition: str, at: int = 3, seconds: float = 3.0, on: str = "create") -> Iterator[Staging]:
    with GatewayServer(token=TOKEN, timeout_keep_alive=75) as gateway:
        living = Living(gateway.app, condition, at, seconds, on)
        thread = ServerThread(living, timeout_keep_alive=75)
        thread.start()
        forwarder = Forwarder(thread.port)
        living.forwarder = forwarder
        try:
            yield Staging(gateway, living, forwarder.url)
        finally:
            forwarder.close()
            thread.stop()
