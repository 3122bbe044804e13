"""Wall time of the main job: ``pytest`` with no options (the contract suite against the recorded stubs).

    python -m benchmarks.stub_suite [--runs 5]

Peer, measured in the same run: ``pytest`` on one empty test with the same plugins loaded, i.e.
what any pytest run of this project costs before the suite does anything. Prints medians, the
target (5 s) and the ratio suite/peer. A script, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        empty = Path(scratch) / "test_empty.py"
        empty.write_text("def test_nothing():\n    pass\n")
        suite_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        peer_cmd = [*suite_cmd, str(empty)]
        suite, peer = [], []
        for _ in range(runs):  # interleaved, so that machine noise hits both alike
            suite.append(wall(suite_cmd))
            peer.append(wall(peer_cmd))
    suite_median, peer_median = statistics.median(suite), statistics.median(peer)
    print(f"pytest (stub suite):        median {suite_median:.2f} s over {runs} runs "
          f"(min {min(suite):.2f}, max {max(suite):.2f}); target <= {TARGET_SECONDS:.1f} s: "
          f"{'met' if suite_median <= TARGET_SECONDS else 'MISSED'}")
    print(f"peer (one empty test):      median {peer_median:.2f} s")
    print(f"ratio suite/peer:           {suite_median / peer_median:.2f}")


if __name__ == "__main__":
    main()
