"""``python -m contracts.drift BEFORE_DIR AFTER_DIR``: the drift between two recordings.

Prints a Markdown report (``--json``: JSON). Exit status: 0 no breaking difference, 1 at least
one, 2 unusable input (a missing directory, a missing or corrupt file), said in one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from contracts.drift.compare import Thresholds, compare
from contracts.recording import RecordingError


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m contracts.drift",
        description="Compare two recordings of the contract suite (e.g. before and after a gateway upgrade) "
                    "and classify every difference as breaking or compatible.")
    parser.add_argument("before", type=Path, help="the baseline recordings directory (with recording.yaml)")
    parser.add_argument("after", type=Path, help="the current recordings directory")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    defaults = Thresholds()
    parser.add_argument("--slowdown-factor", type=float, default=defaults.factor, metavar="X",
                        help=f"report a response slower than X times the baseline (default {defaults.factor:g}) ...")
    parser.add_argument("--slowdown-ms", type=int, default=defaults.extra_ms, metavar="MS",
                        help=f"... and slower by more than MS milliseconds (default {defaults.extra_ms})")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        report = compare(args.before, args.after, thresholds=Thresholds(args.slowdown_factor, args.slowdown_ms))
    except RecordingError as exc:
        print(f"drift: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(report.to_json_text() if args.json else report.to_markdown())
    return 1 if report.has_breaking else 0


if __name__ == "__main__":
    sys.exit(main())
