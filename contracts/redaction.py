"""Keeping the token out of everything the suite prints or writes, in any encoding a gateway may echo it in.

The token lives in a :class:`Secret` whose ``repr``/``str`` are masked; requests carry the
:data:`PLACEHOLDER` and the client puts the token in at send time, so no frame local, exception or
report ever holds it. :func:`redact` is the one scrubber for text the suite writes (terminal,
JUnit, logs, recordings, drift and conformance reports, living docs): it finds a registered token

- raw, or with any of its characters escaped the ways a JSON serialiser may (``\\/``, ``\\u003d``,
  ``\\"`` ...: Java's serialisers escape ``= + / < > & '``), percent-encoded (``quote``,
  ``quote_plus``, either hex case), or HTML-escaped (``&#43;``, ``&quot;``);
- in base64, standard or URL-safe, at any of the three byte alignments (so the token alone,
  ``Bearer <token>`` or a longer header value that holds it);
- cut short: a prefix or suffix of at least :data:`MIN_FRAGMENT` characters at the edge of a
  truncation (``text[:300]``, pytest's ``saferepr``, which elides the middle of long values).

Redact *before* truncating: :func:`excerpt` does both in that order.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

MASK = "[REDACTED]"
# What requests carry instead of the token until the moment they are sent, and what recordings
# store: the client substitutes the token at send time; replay matches on the placeholder.
PLACEHOLDER = "APIOPS_TOKEN_PLACEHOLDER"
# A token echoed only in part is still masked from this many characters on (a prefix or a suffix).
MIN_FRAGMENT = 10
# Shorter than this, a value is too weak a fingerprint to hunt for in encodings and fragments.
MIN_FINGERPRINT = 8


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


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot travel in an HTTP header (RFC 9110 §5.5), or None. Never quotes it."""
    for position, character in enumerate(value, start=1):
        if ord(character) > 0xFF:
            return f"character {position} is outside latin-1, which HTTP headers cannot carry"
        if character in "\r\n\0" or (ord(character) < 0x20 and character != "\t") or ord(character) == 0x7F:
            return f"character {position} is a control character"
    if value != value.strip():
        return "it starts or ends with whitespace (authentication.md: no extra spaces)"
    return None


# -- fingerprints ------------------------------------------------------------------------------------
_JSON_SHORT = {'"': r'\\"', "\\": r"\\\\", "/": r"\\/", "\b": r"\\b", "\f": r"\\f", "\n": r"\\n", "\r": r"\\r",
               "\t": r"\\t"}
_PY_REPR = {"'": r"\\'", "\\": r"\\\\"}
_LONGEST_FORM = 12  # "%xx" for each of up to four UTF-8 bytes


def _char_pattern(character: str) -> str:
    """Every way one character of the token may appear in an echo."""
    forms = [re.escape(character), rf"\\u{ord(character):04x}"]
    if character in _JSON_SHORT:
        forms.append(_JSON_SHORT[character])
    if character in _PY_REPR:
        forms.append(_PY_REPR[character])
    forms.append("".join(f"%{byte:02x}" for byte in character.encode()))  # quote(), either case (IGNORECASE)
    if character == " ":
        forms.append(r"\+")  # quote_plus()
    forms += [f"&#{ord(character)};", f"&#x{ord(character):x};"]
    escaped = html.escape(character)
    if escaped != character:
        forms.append(re.escape(escaped))
    return "(?:" + "|".join(forms) + ")"


def _base64_cores(value: bytes) -> set[str]:
    """The part of ``value``'s base64 that does not depend on its neighbours, at each byte alignment.

    Bytes before and after the value share a base64 group with its first and last bytes; the
    groups wholly inside it encode the same whatever surrounds it.
    """
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + value).decode()
        first = 4 if offset else 0  # the group mixing the neighbour's bytes
        whole = (offset + len(value)) // 3 * 4  # groups made only of real bytes
        core = encoded[first:whole]
        if len(core) >= MIN_FINGERPRINT:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))  # the URL-safe alphabet
    return cores


@dataclass(frozen=True)
class _Fingerprint:
    """One token, compiled into what finds it in text."""

    whole: re.Pattern[str]
    prefix: re.Pattern[str] | None  # its first MIN_FRAGMENT characters, in any form
    suffix: re.Pattern[str] | None  # its last MIN_FRAGMENT characters
    characters: tuple[re.Pattern[str], ...]  # one per character, to extend a fragment
    base64: tuple[str, ...]

    @classmethod
    def of(cls, token: str) -> _Fingerprint:
        parts = [_char_pattern(character) for character in token]
        flags = re.IGNORECASE
        whole = re.compile("".join(parts), flags) if len(token) >= MIN_FINGERPRINT else re.compile(re.escape(token))
        fragments = len(token) > MIN_FRAGMENT
        return cls(
            whole=whole,
            prefix=re.compile("".join(parts[:MIN_FRAGMENT]), flags) if fragments else None,
            suffix=re.compile("".join(parts[-MIN_FRAGMENT:]), flags) if fragments else None,
            characters=tuple(re.compile(part, flags) for part in parts),
            base64=tuple(sorted(_base64_cores(token.encode("utf-8")))) if len(token) >= MIN_FINGERPRINT else (),
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        found = [match.span() for match in self.whole.finditer(text)]
        for core in self.base64:
            start = text.find(core)
            while start != -1:
                found.append((start, start + len(core)))
                start = text.find(core, start + 1)
        if self.prefix is not None:
            for match in self.prefix.finditer(text):
                end, index = match.end(), MIN_FRAGMENT
                while index < len(self.characters) and (more := self.characters[index].match(text, end)):
                    end, index = more.end(), index + 1
                found.append((match.start(), end))
        if self.suffix is not None:
            for match in self.suffix.finditer(text):
                start, index = match.start(), len(self.characters) - MIN_FRAGMENT - 1
                while index >= 0 and (begin := self._ends_at(index, text, start)) is not None:
                    start, index = begin, index - 1
                found.append((start, match.end()))
        return found

    def _ends_at(self, index: int, text: str, end: int) -> int | None:
        """Where character ``index`` of the token starts, if some form of it ends at ``end``."""
        for width in range(1, min(_LONGEST_FORM, end) + 1):
            if self.characters[index].fullmatch(text, end - width, end):
                return end - width
        return None


@functools.lru_cache(maxsize=64)
def _fingerprint(value: str) -> _Fingerprint:
    return _Fingerprint.of(value)


_registered: dict[str, _Fingerprint] = {}


def register(secret: Secret | str) -> None:
    """Remember a token so that :func:`redact` and :func:`find` hunt for it in any text."""
    value = secret.reveal() if isinstance(secret, Secret) else secret
    if value and value not in _registered:
        _registered[value] = _fingerprint(value)


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def find(text: str, extra: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Where registered tokens (and the ``extra`` values) appear in ``text``, in any form."""
    fingerprints = list(_registered.values()) + [_fingerprint(value) for value in extra if value]
    return _merged(span for fingerprint in fingerprints for span in fingerprint.spans(text))


def redact(text: str, replacement: str = MASK, extra: Iterable[str] = ()) -> str:
    """``text`` with every registered token (and each of ``extra``) replaced, in every form."""
    if not _registered and not extra:
        return text
    spans = find(text, extra)
    if not spans:
        return text
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], replacement]
        last = end
    return "".join([*pieces, text[last:]])


def contains_secret(text: str) -> bool:
    return bool(find(text))


def excerpt(text: str, limit: int = 300) -> str:
    """The start of ``text`` for a message: redacted first, then cut, so no cut can expose a token."""
    cleaned = redact(text)
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "…"
