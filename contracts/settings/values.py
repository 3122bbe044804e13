"""The settings' values checked: each parser turns one raw value into a typed one, or one :class:`SettingsError`."""

from __future__ import annotations

import math
import re
from pathlib import Path

from contracts import rules


class SettingsError(Exception):
    """A setting is missing or wrong: one clear line, no traceback."""


def check_run_id(run_id: str, source: str = "APIOPS_RUN_ID") -> str:
    """A run id is 6-24 lowercase letters and digits: one unambiguous piece of every name the run makes."""
    if not re.fullmatch(r"[a-z0-9]{6,24}", run_id):
        raise SettingsError(f"{source} must be 6-24 lowercase letters or digits (e.g. gh<run>r<attempt>), "
                            f"got {run_id!r}")
    return run_id


def check_name(flag: str, name: str) -> None:
    """A project or proxy name must be one path segment that goes where it says (base-url.md)."""
    if not name.strip():
        raise SettingsError(f"{flag} must not be empty")
    if name in (".", ".."):
        raise SettingsError(f"{flag} {name!r} cannot be sent: a dot segment is resolved into another path")
    # base-url.md says names hold no spaces; a Manager that accepted one anyway is still tested (percent-encoded).
    if "/" in name or name != name.strip() or any(ord(char) < 32 for char in name):
        raise SettingsError(f"{flag} {name!r}: a name is one path segment: no '/', control character, or space at "
                            "either end")


def seconds(flag: str, raw: str | None, *, zero: bool = False) -> float:
    try:
        number = float(raw or "nan")
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and (number > 0 or (zero and number == 0))):
        kind = "a finite number of seconds, 0 or more" if zero else "a positive, finite number of seconds"
        raise SettingsError(f"{flag} must be {kind}, got {raw!r}")
    return number


def count(flag: str, raw: str | None) -> int:
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SettingsError(f"{flag} must be a whole number from 1 to 64, got {raw!r}")
    return int(raw)


def rate(flag: str, raw: str | None) -> float | None:
    """``N/s`` (or ``N``): requests per second, a positive finite number; None when not given."""
    if raw is None or raw == "":
        return None
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*s)?\s*", raw)
    number = float(found[1]) if found else math.nan
    if not (math.isfinite(number) and number > 0):
        raise SettingsError(f"{flag} must be a positive number of requests per second, e.g. 10/s, got {raw!r}")
    return number


def milliseconds(flag: str, raw: str | None, unit: str = "milliseconds") -> float:
    """A finite number of ``unit``, 0 or more."""
    try:
        number = float(raw or "0")
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number >= 0):
        raise SettingsError(f"{flag} must be a finite number of {unit}, 0 or more, got {raw!r}")
    return number


def directory(flag: str, raw: str | None, *, must_exist: bool) -> str | None:
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{flag} {raw}: not a directory")
    if must_exist and not path.is_dir():
        raise SettingsError(f"{flag} {raw}: no such directory")
    return str(path)


def writable(flag: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if path.is_dir():
        raise SettingsError(f"{flag} {raw}: is a directory; give a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise SettingsError(f"{flag} {raw}: {parent} is not a directory")
    return str(path)


def kinds(raw: str, flag: str = "--rules") -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in raw.split(",") if part.strip())
    unknown = [part for part in chosen if part not in rules.KINDS]
    if unknown or not chosen:
        raise SettingsError(f"{flag} takes classes out of {', '.join(rules.KINDS)}, comma-separated; "
                            f"got {raw!r}")
    return chosen
