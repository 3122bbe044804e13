"""Wall time of one suite run started the way the self-tests start it: forked from a server that has imported it.

    python -m benchmarks.forked_runs [--runs 5]

The run is the stub suite (``pytest -q -p no:cacheprovider``, offline, the default edition), the command the
self-tests start most often in one form or another. Peer, measured in the same run: the same command in a fresh
interpreter (``python -m pytest``), which is how the self-tests started every run before tests/forked.py. Runs
are interleaved, so that machine noise hits both alike; the first forked run, which starts the fork server, is
left out and printed apart. Prints medians and the ratio peer/forked. A script, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from tests import forked
from tests.conftest import ROOT

COMMAND = ["-p", "no:cacheprovider", "-q"]


def timed_fresh() -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *COMMAND], cwd=ROOT, env=forked.base_environment(),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the fresh run failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


def timed_fork() -> float:
    start = time.perf_counter()
    code, output = forked.run(COMMAND, forked.base_environment(), ROOT, timeout=600)
    if code != 0:
        sys.exit(f"the forked run failed:\n{output[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    first = timed_fork()
    fresh, fork = [], []
    for _ in range(runs):
        fresh.append(timed_fresh())
        fork.append(timed_fork())
    fresh_median, fork_median = statistics.median(fresh), statistics.median(fork)
    print(f"forked run:             median {fork_median:.2f} s over {runs} runs (min {min(fork):.2f}, "
          f"max {max(fork):.2f}); the first, which starts the server: {first:.2f} s")
    print(f"peer (fresh python):    median {fresh_median:.2f} s (min {min(fresh):.2f}, max {max(fresh):.2f})")
    print(f"ratio peer/forked:      {fresh_median / fork_median:.2f}")


if __name__ == "__main__":
    main()
