"""How the default live job's time grows with the credentials a project already holds.

    python -m benchmarks.project_size [--sizes 0,2000,8000] [--latency-ms 0] [--runs 1]

A project that has lived holds thousands of credentials, and the suite reads the project's credential
list (list-credentials.md) wherever a rule needs to see what is listed. For each size, the reference
gateway (``GatewayServer``, 127.0.0.1, a free port) is seeded with that many credentials of nobody's
run in ``MyProject`` and the default live job runs against it as a subprocess, as the README's
staging command does:

    APIOPS_TOKEN=<token> python -m pytest --target live --base-url <url> --project MyProject \\
        --api-proxy MyAPI --edition 2026-08 -q -p no:cacheprovider

Peer, measured in the same run: the same job against the same gateway with an empty project (size 0).
It prints, per size, the wall time, the credential-list reads the gateway answered, the seconds per
1,000 pre-existing credentials over the peer, and the ratio to the peer. Runs are interleaved with the
peer's, and medians are printed. A script, not a test: it asserts nothing on times, and exits non-zero
only if a pytest run breaks (an exit status other than 0 or 1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import editions  # noqa: E402
from contracts.gateway.server import GatewayServer  # noqa: E402

TOKEN = "benchmark-token-project-size-5e21"


def run_once(size: int, latency_ms: float) -> tuple[float, int, int]:
    """Wall seconds, the gateway's credential-list reads, and pytest's exit status."""
    with GatewayServer(token=TOKEN, edition=editions.get("2026-08"), latency_ms=latency_ms) as server:
        for index in range(size):
            server.gateway.add_credential("MyProject", f"existing-user-{index:05d}")
        server.reset_stats()
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--target", "live", "--base-url",
                   server.url, "--project", "MyProject", "--api-proxy", "MyAPI", "--edition", "2026-08"]
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("APIOPS_", "PYTEST_"))}
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env={**environment, "APIOPS_TOKEN": TOKEN}, capture_output=True,
                              text=True, check=False)
        wall = time.monotonic() - started
        reads = server.stats()["by_operation"].get("listCredentials", 0)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"the run against {size} credentials broke (exit {done.returncode})")
    return wall, reads, done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.project_size", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,2000,8000", help="pre-existing credentials, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer (default 0)")
    parser.add_argument("--runs", type=int, default=1, help="runs per size (medians are printed)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    walls: dict[int, list[float]] = {size: [] for size in [0, *sizes]}
    reads: dict[int, int] = {}
    for _ in range(args.runs):
        for size in sizes:
            peer, _, _ = run_once(0, args.latency_ms)  # the peer, interleaved: noise hits both alike
            walls[0].append(peer)
            wall, reads[size], status = run_once(size, args.latency_ms)
            walls[size].append(wall)
            print(f"{size:>6} credentials: {wall:6.1f} s ({reads[size]} list reads, exit {status}); "
                  f"empty project (peer): {peer:6.1f} s", flush=True)
    peer = statistics.median(walls[0])
    print(f"median, empty project (peer): {peer:.1f} s")
    for size in sizes:
        wall = statistics.median(walls[size])
        per_thousand = (wall - peer) / (size / 1000) if size else 0.0
        print(f"median, {size:>6} credentials: {wall:.1f} s, {wall / peer:.2f}x the peer, "
              f"{per_thousand:+.2f} s per 1,000 credentials, {reads[size]} credential-list reads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
