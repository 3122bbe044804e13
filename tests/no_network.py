"""A pytest plugin (``-p tests.no_network``) that forbids every network connection for the whole session.

Stricter than pytest-socket's per-test blocking: it is in force from configure time on, so it also
covers the preflight, session fixtures and connections a pool would otherwise keep open.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest


class NetworkUsed(RuntimeError):
    pass


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise NetworkUsed(f"network use attempted: {args[1:] or kwargs}")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name in ("connect", "connect_ex"):
        setattr(socket.socket, name, _refuse)
    socket.getaddrinfo = _refuse
    socket.create_connection = _refuse
