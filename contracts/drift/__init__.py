"""Drift between two recordings of the contract suite: what a gateway upgrade changed, and whether it breaks clients.

    python -m contracts.drift BEFORE_DIR AFTER_DIR [--json]

Library use (the pytest plugin's ``--baseline``)::

    from contracts import drift
    text, breaking = drift.summarise_for_terminal(baseline, current)

See :mod:`contracts.drift.compare` for the rules, and :mod:`contracts.drift.edition_change` for what the
documented change between two editions explains (grouped apart: it is not the breaking result).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from contracts.drift.compare import Thresholds, compare
from contracts.drift.load import NAMESPACE_MARKER, LoadedRecording, load
from contracts.drift.report import BREAKING, COMPATIBLE, Difference, DriftReport
from contracts.recording import RecordingError

__all__ = [
    "BREAKING",
    "COMPATIBLE",
    "NAMESPACE_MARKER",
    "Difference",
    "DriftReport",
    "LoadedRecording",
    "RecordingError",
    "Thresholds",
    "check_baseline",
    "compare",
    "load",
    "summarise_for_terminal",
]


def check_baseline(baseline: Path) -> None:
    """Raise :class:`RecordingError` (one line) if ``baseline`` cannot be compared against.

    For the start of a session: a mistyped ``--baseline`` should stop the run before it tests
    anything, not after.
    """
    load(baseline)


def summarise_for_terminal(baseline: Path, current: Path,
                           selected: Collection[str] | None = None) -> tuple[str, bool]:
    """The drift of ``current`` against ``baseline`` as terminal text, and whether any of it is breaking.

    ``selected``: the node ids that ran, when only some did (else the others read as missing).
    An unusable recording on either side is one line of text and counts as breaking: the
    comparison the run was asked for did not happen.
    """
    try:
        report = compare(baseline, current, selected=selected)
    except RecordingError as exc:
        return f"drift: cannot compare against the baseline: {exc}", True
    return report.to_text(), report.has_breaking
