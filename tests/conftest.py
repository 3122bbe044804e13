"""Fixtures for the project's own tests: run the contract suite as a user would, in a subprocess."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import forked

pytest_plugins = ["pytester"]

ROOT = forked.ROOT
# The self-tests start the contract suite in a few hundred subprocesses. Each of them has pytest rewrite the asserts
# of every plugin module it imports (schemathesis and hypothesis are plugins: about 420 modules), and without the
# bytecode cache that is 2.5 s of a 5 s run. The cache (pytest's own, in __pycache__) is written atomically, so
# parallel workers share it safely.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
FORK = os.environ.get("APIOPS_SELFTEST_FORK", "1") != "0"
TOKEN = "self-test-token-7f3a9c1e5b"  # the token of the gateways these tests start


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "long: takes 15 s or more (a gateway slow on purpose, a rate limit, a "
                                       "re-recording); scheduled first, so that workers overlap it with the rest")


@pytest.hookimpl(trylast=True)  # after pytest-randomly's shuffle: the order of the rest stays random
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first: under -n, one that starts last holds the whole run up by its length alone."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@dataclass
class Run:
    returncode: int
    output: str  # stdout and stderr together, as a user sees them


RunSuite = Callable[..., Run]


def assert_exit(run: Run, code: int) -> None:
    """The run ended with ``code``; when it did not, the failure shows what the run printed (its last 4000
    characters), not pytest's truncated repr of the Run."""
    assert run.returncode == code, f"exit {run.returncode}, not {code}; the run printed:\n{run.output[-4000:]}"


@pytest.fixture
def run_suite(tmp_path: Path) -> RunSuite:
    """Run ``python -m pytest <args>`` from the project root; returns exit code and output."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> Run:
        environment = {**forked.base_environment(), **(env or {})}
        command = ["-p", "no:cacheprovider", "-q", *args]
        if FORK and forked.forkable(environment):
            return Run(*forked.run(command, environment, ROOT, timeout))
        done = subprocess.run([sys.executable, "-m", "pytest", *command], cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              preexec_fn=forked.default_signals)
        return Run(done.returncode, done.stdout + done.stderr)

    return run


@pytest.fixture(scope="session")
def gateway_factory() -> Iterator[Callable[..., str]]:
    """Start reference gateways (optionally with faults, or living: ``conditions=Conditions(writer=True)``,
    contracts/gateway/conditions.py) on free loopback ports; stop them, and their writers, at the end."""
    from contracts.gateway.conditions import Conditions
    from contracts.gateway.server import GatewayServer

    servers: list[GatewayServer] = []

    def start(*faults: str, edition: str | None = None, permitted: bool = True,
              conditions: Conditions | None = None) -> str:
        from contracts import editions

        server = GatewayServer(token=TOKEN, faults=list(faults), permitted=permitted,
                               edition=editions.get(edition) if edition else None, conditions=conditions)
        server.start()
        servers.append(server)
        return str(server.url)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def gateway_url(gateway_factory: Callable[..., str]) -> str:
    """A clean reference gateway (its state persists across tests: use fresh names)."""
    return gateway_factory()


def live(url: str, *extra: str) -> tuple[str, ...]:
    return ("--target", "live", "--base-url", url, "--project", "MyProject", *extra)


# -- a server that writes whatever bytes it likes (raw sockets on loopback) -----------------------------------
Handler = Callable[[socket.socket], None]


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], str]]:
    """An HTTP server whose handler writes the raw answer to each request; returns its base URL."""
    sockets: list[socket.socket] = []

    def start(handler: Handler) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        sockets.append(server)

        def serve() -> None:
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:
                    return
                threading.Thread(target=answer, args=(connection,), daemon=True).start()

        def answer(connection: socket.socket) -> None:
            with connection:
                connection.recv(65536)
                with contextlib.suppress(OSError):  # the client hung up: what the tests want
                    handler(connection)

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{server.getsockname()[1]}"

    yield start
    for server in sockets:
        server.close()
