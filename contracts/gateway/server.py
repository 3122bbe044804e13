"""The reference gateway put together (``create_app``: the app and the description it publishes of itself),
and on a real loopback socket, in a background thread, for tests and benchmarks.

    with GatewayServer(token="t0k3n") as server:
        requests.get(server.url + "/apiops/projects/", headers={"Authorization": "Bearer t0k3n"})
        server.gateway.reset()

``GatewayServer(latency_ms=50, deploy_ms=1000)`` is as slow as a remote staging gateway that deploys
each credential it creates (timing.py); ``server.stats()`` counts what it was asked.

The socket is bound here (port 0: the kernel picks a free port) and handed to uvicorn, so the port
is known before the server starts and no other process can take it in between.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from contracts.editions import Edition
from contracts.gateway.app import assemble
from contracts.gateway.conditions import QUIET, Conditions
from contracts.gateway.describe import openapi_description
from contracts.gateway.front import FrontDoor
from contracts.gateway.model import Gateway
from contracts.gateway.timing import Timing
from contracts.gateway.writer import Writer


def create_app(gateway: Gateway, faults: Sequence[str] = (), timing: Timing | None = None, *,
               stack: bool = True, firewall: bool = False) -> Starlette:
    """The reference gateway as an ASGI app, its own description (describe.py) at ``/apiops/openapi.yaml``.

    ``faults`` are names from ``faults.FAULTS``; they patch ``gateway`` itself (faults/).
    ``timing``: latency, deployment time and request counts (timing.py); none by default.
    ``stack``: on the HTTP stack a real Manager runs on (stack.py: TRACE, OPTIONS, unmapped methods and
    paths answered as Spring and Tomcat answer them); ``firewall``: with Spring Security's request firewall too.
    """
    return assemble(gateway, faults, timing, publish=openapi_description, stack=stack, firewall=firewall)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket.

    ``IPPROTO_TCP`` explicitly, not 0: asyncio sets TCP_NODELAY only on sockets whose ``proto`` says
    TCP, and accepted sockets inherit it from this one. Without it, Nagle holds back the body uvicorn
    writes after the headers until the client's delayed ACK: 40 ms per keep-alive request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def quiet_config(app: ASGIApp, **options: Any) -> uvicorn.Config:
    """uvicorn settings for an embedded server: no access log, no lifespan, no logging set-up.

    ``log_config=None``: uvicorn leaves the process's logging (e.g. pytest's capture) alone.
    ``options`` (``http=``, ``loop=`` ...) override these.

    An idle connection is kept 60 s, as the Manager's embedded Tomcat keeps it (``keepAliveTimeout`` defaults to
    ``connectionTimeout``, 60 s: https://tomcat.apache.org/tomcat-10.1-doc/config/http.html), not uvicorn's 5 s: a
    client that reuses a connection as the server closes it has its request refused, and a run on a loaded machine
    met that race often enough to take the gateway for down.
    """
    settings: dict[str, Any] = {"log_config": None, "log_level": "warning", "access_log": False,
                                "lifespan": "off", "timeout_keep_alive": 60, **options}
    return uvicorn.Config(app, **settings)


class ServerThread:
    """Any ASGI app served by uvicorn on a socket bound here, in a daemon thread."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0,
                 **options: Any) -> None:
        self.host = host
        self.startup_timeout = startup_timeout
        self._socket = bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(quiet_config(app, **options))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        if self._thread is not None:
            return
        # uvicorn installs signal handlers only in the main thread, so this thread leaves Ctrl-C alone.
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"gateway-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"the server on {self.url} exited while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the server on {self.url} did not start within {self.startup_timeout} s")
            time.sleep(0.005)

    def stop(self, timeout: float = 5.0, grace: float = 0.5) -> None:
        """Stop serving: answers in flight get ``grace`` seconds to finish, then the server stops without waiting
        for them (a client that walked away from a dripping or 800 MB body never finishes it)."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(grace)
            self._server.force_exit = True
            self._thread.join(timeout)
            self._thread = None
        self._socket.close()


class Restarts:
    """The restart a server's conditions ask for (``restart_after`` requests, or ``restart_at`` seconds after start),
    once, on a thread of its own; ``count`` says whether it happened."""

    def __init__(self, server: GatewayServer) -> None:
        self.server = server
        self.due = threading.Event()  # set by the front door after the Nth request, or by stop()
        self.stopping = threading.Event()
        self.count = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.server.conditions.restarts and self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"gateway-restart-{self.server.port}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        conditions = self.server.conditions
        self.due.wait(conditions.restart_at)  # None: until the Nth request
        if not self.stopping.is_set():
            self.count += 1
            self.server.restart(conditions.restart_for, self.stopping)

    def stop(self) -> None:
        self.stopping.set()
        self.due.set()
        if self._thread is not None:
            self._thread.join(10)


class GatewayServer:
    """The reference gateway (model + app) on ``127.0.0.1:<free port>``.

    ``url`` is the Manager URL (base-url.md), without ``/apiops``; ``api_url`` has it.
    ``gateway`` is the live model: tests reset or seed it directly. ``faults`` are names from
    faults/. ``latency_ms``: added to every answer; ``deploy_ms``: added to every successful
    create, delete, grant and revoke (timing.py). ``edition``: the wire format it answers in
    (contracts/editions; default the base edition); ``permitted=False``: the token's user lacks the
    permission to manage credentials. ``stack``: on the HTTP stack a real Manager runs on (Spring and
    Tomcat's own answers, contracts/gateway/spring.py; on by default); ``firewall``: with Spring Security's
    request firewall too (off by default: it refuses usernames the docs promise). ``service_accounts``: client id ->
    secret, exchanged at ``POST /apiops/auth/token`` for tokens of ``token_ttl`` seconds; ``token_uses``: the
    personal token is refused (expired) after that many accepted requests. ``conditions``: a staging Manager that
    lives (conditions.py: another writer, lagging lists, a case-insensitive store, a restart, a login page, 503s);
    none by default.
    ``options`` go to uvicorn.
    """

    def __init__(self, token: str | None = None, faults: Sequence[str] = (), *, host: str = "127.0.0.1",
                 port: int = 0, gateway: Gateway | None = None, startup_timeout: float = 10.0,
                 latency_ms: float = 0, deploy_ms: float = 0, edition: Edition | None = None,
                 permitted: bool = True, stack: bool = True, firewall: bool = False,
                 service_accounts: dict[str, str] | None = None, token_ttl: int = 3600, token_uses: int | None = None,
                 conditions: Conditions | None = None, **options: Any) -> None:
        if gateway is None:
            gateway = Gateway(token or secrets.token_urlsafe(24), edition=edition, permitted=permitted,
                              service_accounts=service_accounts, token_ttl=token_ttl, token_uses=token_uses,
                              conditions=conditions or QUIET)
        elif token is not None and token != gateway.token:
            raise ValueError("token and gateway.token differ: pass one of them")
        elif conditions is not None and conditions != gateway.conditions:
            raise ValueError("conditions and gateway.conditions differ: pass them to the Gateway")
        self.conditions = gateway.conditions
        self.writer = Writer(gateway, self.conditions) if self.conditions.writer else None
        self.gateway = gateway
        self.token = gateway.token
        self.faults = tuple(faults)
        self.timing = Timing(latency_ms, deploy_ms)  # raises ValueError before binding anything
        self.stack, self.firewall = stack, firewall
        # raises UnknownFault before binding anything
        self.app = create_app(self.gateway, self.faults, self.timing, stack=stack, firewall=firewall)
        self.restarts = Restarts(self)
        # Every request meets the front door first: a login page, 503s, the request that restarts (front.py).
        self.front = FrontDoor(self.app, self.conditions, self.restarts.due.set)
        self._options: dict[str, Any] = {"host": host, "startup_timeout": startup_timeout, **options}
        self._lock = threading.Lock()  # the serving thread, which a restart replaces
        self._thread = ServerThread(self.front, port=port, **self._options)
        self.front.origin = self._thread.url

    @property
    def url(self) -> str:
        return self._thread.url

    @property
    def api_url(self) -> str:
        return self.url + "/apiops"

    @property
    def port(self) -> int:
        return self._thread.port

    @property
    def host(self) -> str:
        return self._thread.host

    def start(self) -> GatewayServer:
        with self._lock:
            self._thread.start()
        if self.writer is not None:
            self.writer.start()
        self.restarts.start()
        return self

    def restart(self, down_for: float, stopping: threading.Event) -> None:
        """Stop listening (connections are refused), wait ``down_for`` seconds, listen again on the same port: the
        app, its model (the store) and its counts are the same ones. ``stopping``: the server stops meanwhile."""
        with self._lock:
            self._thread.stop()
        if stopping.wait(down_for):
            return
        with self._lock:
            if not stopping.is_set():
                self._thread = ServerThread(self.front, port=self.port, **self._options)
                self._thread.start()

    def stats(self) -> dict[str, Any]:
        """A snapshot of the request counts since start (or :meth:`reset_stats`): plain dicts and ints.

        ``requests`` and ``by_operation`` (every request, by operation name; ``(no route)`` and
        ``(method not allowed)`` for those answered before an operation is known), ``deploying``
        and ``deploying_by_operation`` (the deploy-costing ones: a successful create, delete, grant
        or revoke), ``latency_ms`` and ``deploy_ms``.
        """
        return {"latency_ms": self.timing.latency_ms, "deploy_ms": self.timing.deploy_ms,
                **self.timing.stats.snapshot()}

    def reset_stats(self) -> None:
        """Counts back to zero; ``gateway.reset()`` leaves them alone (they are the server's, not the model's)."""
        self.timing.stats.reset()

    def stop(self) -> None:
        self.restarts.stop()
        if self.writer is not None:
            self.writer.stop()
        with self._lock:
            self._thread.stop()

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"GatewayServer({self.url!r}, edition={self.gateway.edition.id!r}, faults={list(self.faults)!r})"
