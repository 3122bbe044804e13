"""The HTTP stack under a Manager (Spring Boot on Tomcat, behind Spring Security), as data: contracts/stack.yaml.

A real Manager's stack answers some requests itself, before or around the Manager's code: its
request firewall refuses paths it does not like, the container refuses TRACE, the framework answers
OPTIONS and unmapped methods. None of the Management API's pages mention these answers, and none
of them is in an edition's envelope. This module says which answer is the stack's
(:func:`recognise`), and holds it to HTTP's own rules (:func:`allow_problems`) instead of the
edition's; the judge (contracts/judge.py) reports each such answer once per cause. What the
Manager's code answers is never taken for the stack's: a firewall refusal is recognised only for a
request the firewall refuses (by the stack's data, or as the run's probe learned it:
:class:`Routing`), a container's refusal only for TRACE, the framework's only for a method the path
does not declare.

:class:`Routing` is what the run learned before creating anything: which characters of a username
the Manager's stack refuses in a path. A credential with such a name can be created (the name
travels in the POST body, which the firewall does not read) but never deleted through the path, so
the suite never creates one (contracts/client.py refuses to send the create).
"""

from __future__ import annotations

import functools
import json
import string
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from contracts import clock

HERE = Path(__file__).resolve().parent
FIREWALL, TRACE, OPTIONS, UNMAPPED_METHOD, UNMAPPED_PATH = (
    "firewall-refusal", "container-trace", "options", "unmapped-method", "unmapped-path")


@dataclass(frozen=True)
class StackAnswer:
    """One answer of the stack: which kind, whose (``by``), and how it breaks HTTP's own rules (empty: it keeps
    them)."""

    kind: str
    by: str
    source: str
    problems: tuple[str, ...] = ()

    @property
    def cause(self) -> str:
        """One line, the same for every answer of the same kind (one verdict per cause in the summary)."""
        what = {
            FIREWALL: "refuses a path it does not route, before the Manager or its token check sees it",
            TRACE: "refuses TRACE itself, with the servlet's Allow",
            OPTIONS: "answers OPTIONS itself, with the path's Allow",
            UNMAPPED_METHOD: "answers a method the path does not map, with 405 and Allow",
            UNMAPPED_PATH: "answers a path no controller maps, with 404",
        }[self.kind]
        return f"{self.by} {what}"


@dataclass(frozen=True)
class Stack:
    name: str
    fields: tuple[str, ...]
    reasons: dict[int, str]
    answers: dict[str, dict[str, Any]]
    implicit: frozenset[str]

    def status(self, kind: str) -> int:
        return int(self.answers[kind]["status"])

    def by(self, kind: str) -> str:
        return str(self.answers[kind]["by"])

    def answer(self, kind: str, problems: list[str] | tuple[str, ...] = ()) -> StackAnswer:
        return StackAnswer(kind, self.by(kind), str(self.answers[kind]["source"]), tuple(problems))

    @property
    def servlet_methods(self) -> tuple[str, ...]:
        return tuple(self.answers[TRACE]["allow"])

    @property
    def firewall_methods(self) -> frozenset[str]:
        return frozenset(self.answers[FIREWALL]["methods"])

    def error_page(self, status: int, path: str, now: datetime | None = None) -> dict[str, Any]:
        """Spring Boot's error body for ``status`` (BasicErrorController, for a client that does not ask for HTML)."""
        moment = (now or clock.now()).isoformat(timespec="milliseconds")
        values = {"timestamp": moment, "status": status, "error": self.reasons.get(status, "Error"), "path": path}
        return {name: values[name] for name in self.fields}

    def is_error_page(self, status: int, text: str) -> bool:
        """Whether ``text`` is the stack's error body for ``status``, or no body at all (the error page off)."""
        if not text.strip():
            return True
        try:
            body = json.loads(text)
        except ValueError:
            return False
        return isinstance(body, dict) and set(self.fields) <= set(body) and body.get("status") == status

    def firewall_refuses(self, method: str, raw_path: str) -> str | None:
        """Why the firewall refuses this request (its raw, still-encoded path), or None."""
        rules = self.answers[FIREWALL]
        if method.upper() not in self.firewall_methods:
            return f"the method {method.upper()}"
        for part in rules["raw"]:
            if part in raw_path:
                return f"{part!r} in the raw path"
        if rules.get("printable_ascii_only") and any(not (" " < char <= "~") for char in raw_path):
            return "a character that is not printable ASCII in the raw path"
        decoded = unquote(raw_path)
        for part in rules["decoded"]:
            if part in decoded:
                return f"{part!r} in the decoded path"
        if rules.get("dot_segments") and any(segment in (".", "..") for segment in decoded.split("/")):
            return "a dot segment"
        return None

    def is_refusal(self, status: int, headers: Any, text: str) -> bool:
        """Whether an answer has the firewall refusal's form: its status, and the stack's error body (or none, on a
        connection the stack closes). Not the Manager's envelope, whatever the edition."""
        if status != self.status(FIREWALL):
            return False
        if text.strip():
            return self.is_error_page(status, text)
        return "close" in str(headers.get("Connection", "")).lower() or not self.answers[FIREWALL].get("closes")


@functools.cache
def load() -> Stack:
    data = yaml.safe_load((HERE / "stack.yaml").read_text(encoding="utf-8"))
    page = data["error_page"]
    return Stack(str(data["name"]), tuple(page["fields"]), {int(k): str(v) for k, v in page["reasons"].items()},
                 dict(data["answers"]), frozenset(data["implicit_methods"]))


def allow_problems(allow: str | None, declared: set[str]) -> list[str]:
    """HTTP's rule for an ``Allow`` (RFC 9110 sections 10.2.1, 15.5.6): it lists every method the path declares, and
    none it does not (beyond HEAD and OPTIONS, which HTTP lets any resource have)."""
    if allow is None:
        return ["no Allow header (RFC 9110 section 15.5.6 requires one on a 405)"]
    listed = {part.strip().upper() for part in allow.split(",") if part.strip()}
    problems = []
    missing = sorted(declared - listed)
    if missing:
        problems.append(f"Allow is {allow!r}: it omits the declared {', '.join(missing)}")
    extra = sorted(listed - declared - load().implicit)
    if extra:
        problems.append(f"Allow is {allow!r}: it lists {', '.join(extra)}, which the path does not declare")
    return problems


def raw_path(url: str) -> str:
    """The path of ``url`` as sent: still percent-encoded."""
    return urlsplit(url).path


def recognise(method: str, url: str, status: int, headers: Any, text: str, declared: set[str],
              routing: Routing | None = None) -> StackAnswer | None:
    """The stack's answer this is, held to HTTP's rules; None when it is the Manager's (judged as such).

    ``declared``: the methods the path declares; ``routing``: what the run learned its Manager's stack refuses.
    """
    stack, method = load(), method.upper()
    path = raw_path(url)
    page = stack.is_error_page(status, text)
    if method == "TRACE" and status == stack.status(TRACE) and page:
        # The container's own Allow (its servlet's methods), not the path's: present is all HTTP asks of it here.
        allow = headers.get("Allow")
        return stack.answer(TRACE, [] if allow else ["405 without Allow (RFC 9110 section 15.5.6)"])
    refused = stack.firewall_refuses(method, path) or (routing.refuses(unquote(path)) if routing else None)
    if refused and stack.is_refusal(status, headers, text):
        return stack.answer(FIREWALL)
    if method == "OPTIONS" and status == stack.status(OPTIONS):
        return stack.answer(OPTIONS, allow_problems(headers.get("Allow"), declared))
    if method not in declared and status == stack.status(UNMAPPED_METHOD) and page:
        return stack.answer(UNMAPPED_METHOD, allow_problems(headers.get("Allow"), declared))
    return None


# -- what the run learned: the characters its Manager's stack does not route --------------------------------
# Every character a username of the suite may carry besides letters, digits and "-" (base-url.md's URL Encoding
# names @ + % ? # & = : ; and non-ASCII; the property tests generate any punctuation). "/" is never in a name.
PROBED = tuple(char for char in string.punctuation if char != "/") + ("ü",)
# What adopts the firewall's refusal on a stock Manager: the run's own command ("…"), writing its failing rules as
# known deviations; the next run reads them (--deviations=deviations.yaml, docs/ci.md). The "=" form: a path in
# the space form that exists could be taken by pytest for a test path (contracts/plugin/options.py).
ADOPT = "pytest … --deviations-update=deviations.yaml"


@dataclass
class Routing:
    """The characters of a username the Manager's stack refuses in a path (character -> what it answered),
    learned by deleting names that were never created (contracts/targets.py, ``learn_routing``)."""

    refused: dict[str, str] = field(default_factory=dict)

    def undeletable(self, username: str) -> list[str]:
        """The characters of ``username`` the stack refuses in a path: a credential of that name could be created
        but never deleted through this endpoint."""
        return sorted({char for char in username if char in self.refused})

    def deletable(self, username: str) -> bool:
        return not self.undeletable(username)

    def refuses(self, decoded_path: str) -> str | None:
        found = self.undeletable(decoded_path)
        return f"{', '.join(map(repr, found))}, which the run's probe saw refused" if found else None

    def finding(self) -> str:
        """Why the refused characters matter, in one message (special-characters-are-percent-encoded). A stock
        Manager's firewall refuses them: the message ends with the one command that adopts the failure as a known
        deviation (contracts/deviations.py), so that a team's first run says what to do next."""
        chars = " ".join(f"`{char}`" for char in sorted(self.refused))
        example = next(iter(self.refused.values()))
        return (f"the Manager's HTTP stack refuses usernames with {chars} in the path ({example}), as "
                f"{load().by(FIREWALL)} does by default: base-url.md (URL Encoding) promises that special characters, "
                "percent-encoded, work, but a credential with such a name can be created (the name travels in the POST "
                "body) and never deleted, changed or read through its path; the run created none (docs/stack.md). To "
                f"adopt it as a known deviation, run this run's command with one more option: {ADOPT}")

    def to_json(self) -> dict[str, str]:
        return dict(sorted(self.refused.items()))
