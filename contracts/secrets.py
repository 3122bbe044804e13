"""Keeping the token out of everything the suite prints or writes.

The token lives in a :class:`Secret` whose ``repr``/``str`` are masked, so it cannot leak through
an assertion message, ``--showlocals``, a log line or an exception. :func:`redact` is the one
scrubber for text the suite writes (reports, recordings, failure output).
"""

from __future__ import annotations

MASK = "[REDACTED]"
# What recordings store instead of the real token; replay matches on it.
PLACEHOLDER = "APIOPS_TOKEN_PLACEHOLDER"


class Secret:
    """A string that never shows itself. ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    __str__ = __repr__

    def __reduce__(self) -> str:  # pickling (xdist, deepcopy) must not carry it either
        raise TypeError("a Secret is not serialisable")


_known: set[str] = set()


def register(secret: Secret) -> None:
    """Remember a token so that :func:`redact` scrubs it from any text."""
    if secret.reveal():
        _known.add(secret.reveal())


def redact(text: str, replacement: str = MASK) -> str:
    """Replace every registered token in ``text``."""
    for value in _known:
        if value and value in text:
            text = text.replace(value, replacement)
    return text


def contains_secret(text: str) -> bool:
    return any(value and value in text for value in _known)
