"""The total deadline of a request, from connect to the last byte.

A watchdog shuts the request's socket when the deadline passes, whatever the socket is waiting for: a gateway
that drips one byte a second cannot hold the run. The session's pools hand their sockets to it.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
from collections.abc import Mapping
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection

_WATCH: contextvars.ContextVar[Watchdog | None] = contextvars.ContextVar("apiops_watchdog", default=None)


class Watchdog:
    """Shuts the request's socket when the deadline passes, whatever the socket is waiting for."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to stop
                self._sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Watchdog:
        self._timer.start()
        self._token = _WATCH.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _WATCH.reset(self._token)


class _WatchedMixin:
    sock: socket.socket | None

    def getresponse(self) -> Any:
        watch = _WATCH.get()
        if watch is not None:
            watch.attach(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    pass


class WatchedAdapter(HTTPAdapter):
    """Pools whose connections hand their socket to the request's watchdog."""

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: bool | str | None,
                                        proxies: Mapping[str, str] | None = None,
                                        cert: Any = None) -> urllib3.connectionpool.ConnectionPool:
        pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
        if isinstance(pool, urllib3.HTTPConnectionPool):  # an HTTPSConnectionPool too
            pool.ConnectionCls = _WatchedHTTPSConnection if pool.scheme == "https" else _WatchedHTTPConnection
        return pool
