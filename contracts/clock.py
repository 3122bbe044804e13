"""The one clock of what the suite writes into data: the moment in a created credential's description, in the
reference gateway's error pages and in a recording's date, and how long each recorded answer took.

It is the real clock, unless ``SOURCE_DATE_EPOCH`` is set (the reproducible-builds convention,
https://reproducible-builds.org/specs/source-date-epoch/): then every moment is that one, so that two recordings of
the same gateway are byte for byte the same. ``python -m contracts.regenerate`` sets it; a live run normally does
not, and then a leftover credential's description says when it was really created.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

VARIABLE = "SOURCE_DATE_EPOCH"


def fixed() -> bool:
    return os.environ.get(VARIABLE, "").strip().isdigit()


def now() -> datetime:
    """The moment to write down: ``SOURCE_DATE_EPOCH`` when set (seconds since the epoch), else now, in UTC."""
    if fixed():
        return datetime.fromtimestamp(int(os.environ[VARIABLE].strip()), UTC)
    return datetime.now(UTC)


def elapsed(seconds: float) -> float:
    """How long an answer took, as written into a recording: as measured, but none under a fixed clock (time does
    not pass on it). A replay then answers at once; the run that recorded judged the real time."""
    return 0.0 if fixed() else seconds
