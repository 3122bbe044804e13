"""YAML read with libyaml's safe loader where PyYAML was built with it (about ten times the pure-Python one's speed:
a replay reads a recording per test), else PyYAML's own safe loader. Both are safe loaders: plain data only."""

from __future__ import annotations

from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader, libyaml's or PyYAML's
