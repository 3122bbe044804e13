"""Bring every generated file and every shipped recording along after a change to the rulebook, an edition or the
stack: one command, in the order that works.

    python -m contracts.regenerate [--edition E ...]

1. ``python -m contracts.pages``: each edition's contract document first (``openapi.yaml``'s DELETE responses and
   the generated document of every other edition), since a recording is judged against it;
2. for each edition, a fresh recording of the reference gateway speaking it (``--target local --edition E
   --record``), written beside the shipped one and swapped in only when that run was green;
3. ``python -m contracts.pages`` again: the living documentation shows the new recordings.

Reproducible: run twice, the second run changes nothing. The recordings are made under the run id ``reference``
(fixed names), with the derandomized ``ci`` profile (the same generated cases every run), one request at a time
(``--concurrency 1``: creates recorded in the order they are sent) and a fixed clock (``SOURCE_DATE_EPOCH``, see
contracts/clock.py). Nothing here reads the user's ``APIOPS_*`` settings: a regeneration is the same wherever it
runs. Exit status: 0 when everything is written, 1 when a step failed (its output is shown, the shipped
recording of that edition untouched).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from contracts import clock, editions, pages, recording
from contracts.settings import commands

ROOT = Path(__file__).resolve().parent.parent
RUN_ID = "reference"
# 2026-01-01T00:00:00Z: any fixed moment does; this one is the day the shipped recordings were first made reproducible.
FIXED_MOMENT = "1767225600"


def record_command(edition: str, into: Path) -> list[str]:
    """The recording run of one edition: the reference gateway in-process, judged by the suite as it records."""
    return [sys.executable, "-m", "pytest", "--target", "local", "--edition", edition, "--local-edition", edition,
            "--record", f"--recordings={into}", "--hypothesis-profile", "ci", "--concurrency", "1",
            "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]


def environment() -> dict[str, str]:
    """The process environment without the user's suite and pytest settings, with the run id and the clock fixed."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith(("APIOPS_", "PYTEST_"))}
    return {**kept, "APIOPS_RUN_ID": RUN_ID, clock.VARIABLE: FIXED_MOMENT}


def record(edition: str) -> bool:
    """Record ``edition`` afresh; on a green run, replace the shipped recording with it. Says what it did."""
    with tempfile.TemporaryDirectory(prefix=f"apiops-regenerate-{edition}-") as scratch:
        done = subprocess.run(record_command(edition, Path(scratch)), cwd=ROOT, env=environment(),
                              capture_output=True, text=True, check=False)
        fresh = Path(scratch)
        if done.returncode != 0 or not (fresh / recording.META_FILE).is_file():
            sys.stdout.write(done.stdout + done.stderr)
            print(f"regenerate: the recording run of {edition} failed (exit {done.returncode}); "
                  f"{_shown(recording.default_dir(edition))} is left as it was", file=sys.stderr)
            return False
        shipped = recording.default_dir(edition)
        changed = _differs(fresh, shipped)
        if changed:
            shutil.rmtree(shipped, ignore_errors=True)
            shutil.copytree(fresh, shipped)
        print(f"{'recorded' if changed else 'unchanged'} {_shown(shipped)}"
              + (f" ({len(changed)} file(s) changed)" if changed else ""))
        return True


def _differs(fresh: Path, shipped: Path) -> list[str]:
    """The files (relative paths) that differ between the two recordings, added and removed ones included."""
    def files(root: Path) -> dict[str, bytes]:
        return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}

    new, old = files(fresh), files(shipped) if shipped.is_dir() else {}
    return sorted(name for name in {*new, *old} if new.get(name) != old.get(name))


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    return commands.parser("regenerate").parse_args(argv)  # declared in contracts/settings/commands.py


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if pages.main([]) != 0:  # the contract documents the recordings are judged against
        return 1
    recorded = [record(edition) for edition in args.edition or editions.ids()]
    if not all(recorded):
        return 1
    return 1 if pages.main([]) != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
