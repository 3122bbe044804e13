"""``python -m contracts.drift BEFORE_DIR AFTER_DIR``: the drift between two recordings.

Prints a Markdown report (``--json``: JSON). Exit status: 0 no breaking difference, 1 at least
one, 2 unusable input (a missing directory, a missing or corrupt file), said in one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from contracts.drift.compare import Thresholds, compare
from contracts.recording import RecordingError
from contracts.settings import commands


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    return commands.parser("drift").parse_args(argv)  # declared in contracts/settings/commands.py


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
