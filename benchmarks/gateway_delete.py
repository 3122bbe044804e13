"""How many sequential DELETEs per second the reference gateway answers on loopback.

    cd /work/main && python -m benchmarks.gateway_delete [--requests 3000] [--rounds 3]
        [--http auto|h11|httptools] [--loop auto|asyncio|uvloop]

One ``requests.Session``, one request at a time, against:

1. the reference gateway (contracts/gateway): N credentials seeded directly in the model, then
   deleted over HTTP (200); then the same N deleted again (400, credential not found);
2. the peer: a minimal Starlette app on the same uvicorn settings that answers every DELETE with a
   fixed small JSON body. gateway/peer is what the gateway's own work costs;
3. the client ceiling: a raw asyncio server that writes a canned response, no HTTP framework. No
   server can be measured faster than this with this client on this machine.

Each server runs in a child process, so the client does not share a GIL with it; everything is
on 127.0.0.1, bounded by ``--requests`` x ``--rounds``. Figures are the median of the rounds.
A script, not a test: it prints, and exits 0 whether or not the target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing
import platform
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests

TARGET = 1500.0  # DELETE/s
TOKEN = "benchmark-token"
PROJECT = "MyProject"
CANNED = b'{"success":true}'


def _importable_project() -> None:
    """``python benchmarks/gateway_delete.py`` works too: the project root goes on the path."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)


# -- servers, each in a child process -------------------------------------------------------------
def _serve(kind: str, options: dict[str, Any], conn: Connection) -> None:
    """Serve ``kind`` until told to stop; ``("seed", n)`` seeds n credentials in the gateway's model."""
    _importable_project()
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from contracts.gateway.server import GatewayServer, ServerThread

    if kind == "gateway":
        gateway_server = GatewayServer(token=TOKEN, **options)
        server: GatewayServer | ServerThread = gateway_server
    else:
        async def fixed(request: Request) -> Response:
            return Response(CANNED, media_type="application/json")

        server = ServerThread(Starlette(routes=[Route("/{path:path}", fixed, methods=["DELETE"])]), **options)
    server.start()
    conn.send(server.url)
    while True:
        command, *args = conn.recv()
        if command == "stop":
            break
        if command == "seed" and kind == "gateway":
            gateway_server.gateway.reset()
            for i in range(args[0]):
                gateway_server.gateway.add_credential(PROJECT, f"bench-{i}")
        conn.send("ok")
    server.stop()


def _serve_raw(conn: Connection) -> None:
    """The client ceiling: answers each request head with a canned response, nothing parsed."""
    response = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
        len(CANNED), CANNED)

    class Canned(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport, self.buffer = transport, b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:  # DELETEs here carry no body
                self.buffer = self.buffer.split(b"\r\n\r\n", 1)[1]
                self.transport.write(response)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Canned, "127.0.0.1", 0)
        conn.send(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until "stop"

    asyncio.run(main())


class Child:
    def __init__(self, kind: str, options: dict[str, Any]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        target, args = (_serve_raw, (theirs,)) if kind == "raw" else (_serve, (kind, options, theirs))
        self.process = context.Process(target=target, args=args, daemon=True)
        self.process.start()
        if not self.conn.poll(30):
            self.process.kill()
            raise RuntimeError(f"the {kind} server did not start within 30 s")
        self.url: str = self.conn.recv()

    def seed(self, n: int) -> None:
        self.conn.send(("seed", n))
        self.conn.recv()

    def stop(self) -> None:
        self.conn.send(("stop",))
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


# -- the client ----------------------------------------------------------------------------------------
def deletes_per_second(session: requests.Session, url: str, n: int, status: int) -> float:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    paths = [f"{url}/apiops/projects/{PROJECT}/credentials/bench-{i}/" for i in range(n)]
    started = time.perf_counter()
    for path in paths:
        response = session.delete(path, headers=headers)
        if response.status_code != status:
            raise RuntimeError(f"DELETE {path} answered {response.status_code}, expected {status}")
    return n / (time.perf_counter() - started)


def warm(session: requests.Session, url: str) -> None:
    for _ in range(50):  # connection open, code paths warm
        session.delete(f"{url}/apiops/projects/{PROJECT}/credentials/warm-up/",
                       headers={"Authorization": f"Bearer {TOKEN}"})


def measure(args: argparse.Namespace, options: dict[str, Any]) -> dict[str, float]:
    figures: dict[str, list[float]] = {"gateway 200": [], "gateway 400": [], "peer 200": [], "raw 200": []}
    children = {kind: Child(kind, options if kind != "raw" else {}) for kind in ("gateway", "peer", "raw")}
    try:
        sessions = {kind: requests.Session() for kind in children}
        for kind, child in children.items():
            warm(sessions[kind], child.url)
        def run(kind: str, status: int) -> float:
            return deletes_per_second(sessions[kind], children[kind].url, args.requests, status)

        for _ in range(args.rounds):  # interleaved, so drift in the machine's load hits all alike
            children["gateway"].seed(args.requests)
            figures["gateway 200"].append(run("gateway", 200))
            figures["gateway 400"].append(run("gateway", 400))  # the same usernames, now gone
            figures["peer 200"].append(run("peer", 200))
            figures["raw 200"].append(run("raw", 200))
    finally:
        for child in children.values():
            child.stop()
    return {name: statistics.median(values) for name, values in figures.items()}


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000, help="DELETEs per figure and round (3000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is printed (default 3)")
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 100_000 or not 1 <= args.rounds <= 20:
        parser.error("--requests must be 1..100000 and --rounds 1..20")
    for module in {args.http, args.loop} & {"httptools", "uvloop"}:
        if not installed(module):
            parser.error(f"{module} is not installed")
    _importable_project()

    options = {"http": args.http, "loop": args.loop}
    http = args.http if args.http != "auto" else ("httptools" if installed("httptools") else "h11")
    loop = args.loop if args.loop != "auto" else ("uvloop" if installed("uvloop") else "asyncio")
    print(f"Sequential DELETE/s, one requests.Session, loopback; {args.requests} requests per figure, "
          f"median of {args.rounds} rounds")
    print(f"Python {platform.python_version()}, {multiprocessing.cpu_count()} CPUs; uvicorn http={http} "
          f"loop={loop}, access log off, lifespan off; each server in its own process")
    figures = measure(args, options)
    met = "met" if figures["gateway 200"] >= TARGET else "MISSED"
    rows = [
        ("reference gateway: DELETE existing credential -> 200", figures["gateway 200"],
         f"target >= {TARGET:,.0f}/s: {met}"),
        ("reference gateway: DELETE missing credential  -> 400", figures["gateway 400"], ""),
        ("peer: minimal Starlette app, fixed JSON       -> 200", figures["peer 200"], ""),
        ("client ceiling: raw asyncio, canned response  -> 200", figures["raw 200"], ""),
    ]
    for label, value, note in rows:
        print(f"  {label}: {value:7,.0f}/s  {note}".rstrip())
    print(f"  ratio gateway/peer: {figures['gateway 200'] / figures['peer 200']:.2f}   "
          f"gateway/client ceiling: {figures['gateway 200'] / figures['raw 200']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
