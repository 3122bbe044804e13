"""Generated cases per second: the suite's schema-driven property test beside a plain ``st run``.

    python -m benchmarks.property_throughput [--profile thorough] [--runs 5]

Both runs test the same operation (``deleteCredential``) of the same spec against the same
reference gateway (``GatewayServer``, reset before each run), with the same example count (the
hypothesis profile's ``max_examples`` is passed to ``st run`` as ``--max-examples``), the same
phases (examples, coverage, fuzzing), the same checks (``schemathesis.toml``, plus the suite's
own through ``SCHEMATHESIS_HOOKS=contracts.st_hooks``), the same response-time limit and the same
bearer token, given the spec-aware way (so negative-auth cases go out without it in both).

A case is a request that reaches the operation's path, counted by the gateway; probes that
checks send count too, in both runs. Two figures per tool, medians over interleaved runs:

- whole run: cases over the wall time of the process, start-up included (what a user waits for);
- in test: cases over the time spent testing (pytest's call duration of the test; the sum of
  st run's Examples, Coverage and Fuzzing phase times), start-up excluded.

The target is a whole-run ratio ours/st-run >= 0.90. A script, not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.gateway.server import GatewayServer  # noqa: E402
from contracts.profiles import PROFILES  # noqa: E402

TOKEN = "benchmark-token-4c1d9a7e02b5f6"
TARGET_RATIO = 0.90
TEST = "contracts/properties/test_delete_credential_properties.py::test_any_generated_request_is_answered_as_documented"
OPERATION_PATH = re.compile(r"^/apiops/projects/[^/]+/credentials/[^/]+/$")
PYTEST_CALL = re.compile(r"^(\d+\.\d+)s call\s+\S+::test_any_generated_request_is_answered_as_documented$", re.M)
ST_PHASE = re.compile(r"(?:Examples|Coverage|Fuzzing) \(in (\d+\.\d+)s\)")


class CountRequests:
    """ASGI middleware: counts the requests that reach the operation's path."""

    def __init__(self, app: Any, counts: list[int]) -> None:
        self.app, self.counts = app, counts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
            if OPERATION_PATH.match(raw.partition("?")[0]):
                self.counts[0] += 1
        await self.app(scope, receive, send)


@dataclass
class Run:
    wall: float  # seconds, the whole process
    testing: float  # seconds spent generating, sending and checking cases
    cases: int
    failed: bool  # the run reported a failure: a finding, still a measurement


def measure(server: GatewayServer, counts: list[int], command: list[str], env: dict[str, str], cwd: Path,
            testing_time: re.Pattern[str]) -> Run:
    server.gateway.reset()
    counts[0] = 0
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    output = done.stdout + done.stderr
    if done.returncode not in (0, 1):  # 1: a check failed; anything else: the run itself broke
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{output[-3000:]}")
    durations = [float(seconds) for seconds in testing_time.findall(output)]
    if not durations:
        sys.exit(f"no test duration in the output of {' '.join(command)}:\n{output[-3000:]}")
    return Run(wall, sum(durations), counts[0], done.returncode == 1)


def summary(name: str, runs: list[Run]) -> tuple[float, float]:
    whole = statistics.median(run.cases / run.wall for run in runs)
    testing = statistics.median(run.cases / run.testing for run in runs)
    failed = sum(run.failed for run in runs)
    print(f"{name:<24} whole run {whole:6.1f} cases/s (wall {statistics.median(run.wall for run in runs):.2f} s), "
          f"in test {testing:6.1f} cases/s ({statistics.median(run.testing for run in runs):.2f} s); "
          f"{statistics.median(run.cases for run in runs):.0f} cases; {len(runs)} runs"
          + (f", {failed} reporting failures" if failed else ""))
    return whole, testing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="thorough",
                        help="hypothesis profile of the property test; its max_examples goes to st run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-response-time", type=float, default=5.0)
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    limit = str(args.max_response_time)

    counts = [0]
    server = GatewayServer(token=TOKEN)
    server.app.add_middleware(CountRequests, counts=counts)  # before start: Starlette builds its stack then
    with server, tempfile.TemporaryDirectory() as scratch:
        # The shared configuration, plus the token the spec-aware way, for st run only (the suite's
        # fixture gives it through an auth provider, which likewise skips negative-auth cases).
        config = Path(scratch) / "schemathesis.toml"
        config.write_text((ROOT / "schemathesis.toml").read_text(encoding="utf-8")
                          + '\n[auth.openapi.bearerAuth]\nbearer = "${APIOPS_TOKEN}"\n', encoding="utf-8")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("APIOPS_", "PYTEST_", "SCHEMATHESIS_"))}
        env = base | {"APIOPS_TOKEN": TOKEN, "APIOPS_MAX_RESPONSE_TIME": limit, "PYTHONPATH": str(ROOT)}
        ours_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0", "-vv", TEST,
                    "--target", "live", "--base-url", server.url, "--project", "MyProject",
                    "--hypothesis-profile", args.profile, "--max-response-time", limit]
        st_cmd = [str(Path(sys.executable).parent / "st"), "--config-file", str(config), "run",
                  str(ROOT / "openapi.yaml"), "--url", server.api_url, "--include-operation-id", "deleteCredential",
                  "--phases", "examples,coverage,fuzzing", "--max-examples", str(profile.max_examples),
                  "--max-response-time", limit, "--no-color"]
        if profile.derandomize:
            st_cmd.append("--generation-deterministic")
        st_env = env | {"SCHEMATHESIS_HOOKS": "contracts.st_hooks"}
        ours: list[Run] = []
        peer: list[Run] = []
        for _ in range(args.runs):  # interleaved, so that machine noise hits both alike
            ours.append(measure(server, counts, ours_cmd, env, ROOT, PYTEST_CALL))
            # st run keeps a crash cache (.schemathesis/) in its working directory: not in the repository.
            peer.append(measure(server, counts, st_cmd, st_env, Path(scratch), ST_PHASE))

    print(f"profile {args.profile!r}: max_examples {profile.max_examples}, same gateway for both ({server.url})")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        # pytest rewrites the asserts of its plugins' modules (schemathesis, hypothesis: ~280 modules) and
        # caches the result as bytecode; without that cache every pytest run pays for it again.
        print("note: PYTHONDONTWRITEBYTECODE is set: every pytest run rewrites its plugins' modules again")
    ours_whole, ours_testing = summary("property test (pytest)", ours)
    peer_whole, peer_testing = summary("st run", peer)
    ratio = ours_whole / peer_whole
    print(f"{'ratio ours/st-run':<24} whole run {ratio:.2f} (target >= {TARGET_RATIO:.2f}: "
          f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}); in test {ours_testing / peer_testing:.2f}")


if __name__ == "__main__":
    main()
