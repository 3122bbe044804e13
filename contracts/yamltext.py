"""YAML read and written with libyaml's safe loader and dumper where PyYAML was built with it (about ten and five
times the pure-Python ones' speed: a replay reads a recording per test, a recording run writes one per test), else
PyYAML's own. Both are safe: plain data only. libyaml writes a character outside Unicode's basic plane as an escape
(``"\U000C2C27"``), PyYAML as itself: the same data either way, and the shipped recordings are libyaml's."""

from __future__ import annotations

from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader, libyaml's or PyYAML's


def dump(data: Any, **options: Any) -> str:
    """``yaml.safe_dump(data, **options)``, by libyaml where it can."""
    text: str = yaml.dump(data, Dumper=DUMPER, **options)
    return text
