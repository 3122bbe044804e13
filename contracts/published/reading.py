"""Small readings the comparers share: what kind a node is, a media type, an error status, lists of values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

JSON_MEDIA = "application/json"


def kind_of(value: Any) -> str:
    """A node's kind, in words: ``a mapping``, ``a list``, ``empty`` ..."""
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "empty"}.get(type(value),
                                                                                     type(value).__name__)


def media_type(media: Any) -> str:
    """A media type without its parameters, in lower case."""
    return str(media).split(";")[0].strip().lower()


def media_range(media: str, offered: Mapping[str, Any]) -> str | None:
    """A media range of ``offered`` (``*/*``, ``application/*``) that includes ``media``."""
    for candidate in (f"{media.split('/')[0]}/*", "*/*"):
        if candidate in offered:
            return candidate
    return None


def is_error(status: str) -> bool:
    return status[:1] in {"4", "5"} or status == "default"


def value_key(value: Any) -> str:
    """A value as a hashable key: JSON values of any shape are compared by it."""
    return json.dumps(value, sort_keys=True, default=str)


def missing(present: list[Any], wanted: list[Any]) -> list[Any]:
    """The values of ``wanted`` that ``present`` lacks, in ``wanted``'s order."""
    keys = {value_key(value) for value in present}
    return [value for value in wanted if value_key(value) not in keys]


def listed(values: Iterable[Any]) -> str:
    """Values for a change's text: `a`, `b`."""
    return ", ".join(f"`{value}`" for value in values)
