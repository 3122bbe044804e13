"""The total deadline of a request, from connect to the last byte.

A watchdog shuts the request's socket when the deadline passes, whatever the socket is waiting for: a gateway
that drips one byte a second cannot hold the run. The session's pools hand their sockets to it.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import os
import socket
import threading
import time
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
        self.seconds = seconds
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shut()

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to stop
                self._sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Watchdog:
        self._entry = _CLOCK.watch(self)
        self._token = _WATCH.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _CLOCK.forget(self._entry)
        _WATCH.reset(self._token)


class _Clock:
    """One thread that fires every watchdog whose deadline passed: a thread per request would cost the request's
    sender a thread's start-up (a millisecond: a fifth of a replay of two hundred requests)."""

    def __init__(self) -> None:
        self._due: list[list[Any]] = []  # heap of [deadline, sequence, watchdog or None once forgotten]
        self._sequence = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, watchdog: Watchdog) -> list[Any]:
        entry = [time.monotonic() + watchdog.seconds, next(self._sequence), watchdog]
        with self._changed:
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="apiops-deadlines", daemon=True)
                self._thread.start()
            if self._due[0] is entry:
                self._changed.notify()
        return entry

    def forget(self, entry: list[Any]) -> None:
        with self._changed:
            entry[2] = None  # left in the heap, skipped when due

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._due and self._due[0][2] is None:
                    heapq.heappop(self._due)
                if not self._due:
                    self._changed.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                watchdog = heapq.heappop(self._due)[2]
            watchdog.fire()


_CLOCK = _Clock()


def _anew_in_a_fork() -> None:
    """A fork has none of its parent's threads, and may have been made while the clock's lock was held."""
    global _CLOCK
    _CLOCK = _Clock()


os.register_at_fork(after_in_child=_anew_in_a_fork)


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
