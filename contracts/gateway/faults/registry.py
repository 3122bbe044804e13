"""What the fault families are made of: the :class:`Fault` record, the request a transform looks at, the
:class:`Family` each module declares its faults in, and the readings of an answer that families share.

A family module's faults are listed in the order it declares them; catalogue.py puts the families in order.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from contracts import rules
from contracts.editions import Edition
from contracts.gateway.model import Gateway

Headers = dict[str, str]
Wire = tuple[int, Headers, Any]
DELETE = "deleteCredential"
CaughtAs = Literal["rules", "preflight", "leftovers", "published-spec"]


@dataclass(frozen=True)
class RequestInfo:
    """What a transform may look at: the request as received, and the gateway that answered it."""

    method: str
    path: str  # raw, still percent-encoded
    params: dict[str, str]  # decoded path parameters
    authorization: str | None
    gateway: Gateway
    origin: str = "http://127.0.0.1"  # scheme://host:port the request was sent to


Transform = Callable[[RequestInfo, int, Headers, Any], Wire]
ResponseHook = Callable[[RequestInfo, int, Headers, Any], Awaitable[Wire]]
Patch = Callable[[Gateway], None]


@dataclass(frozen=True)
class Fault:
    name: str
    does: str  # what the gateway does instead of what the rule says
    breaks: tuple[str, ...]  # the rules it breaks; () for a fault aimed at the suite itself
    caught_as: CaughtAs = "rules"  # rule failures, a preflight that stops the run, or reported leftovers
    patch: Patch | None = None
    transform: Transform | None = None
    delay: float = 0.0
    operation: str = DELETE
    # Changes only how the answer travels (when, how fast, how big), not what it says: the gateway's
    # published description (describe.py) describes what answers say, so it leaves such a fault out.
    wire_only: bool = False
    # The editions it means something in (contracts/editions), asked of the edition's data, never of its id:
    # a fault of the unknown project's own answer means nothing where two pages give the same answer.
    applies: Callable[[Edition], bool] = lambda edition: True

    def line(self) -> str:
        broken = ", ".join(self.breaks) if self.breaks else f"(caught as {self.caught_as})"
        return f"{self.name}: {self.does} — breaks {broken}"


class Family:
    """The faults of one module, in the order it declares them."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        assert all(rule_id in rules.RULES for rule_id in fault.breaks), fault.breaks
        self.faults.append(fault)

    def transform(self, name: str, breaks: Iterable[rules.Rule], does: str, *, caught_as: CaughtAs = "rules",
                  operation: str = DELETE, wire_only: bool = False,
                  applies: Callable[[Edition], bool] = lambda edition: True) -> Callable[[Transform], Transform]:
        """Declares the decorated function a fault of its own: a rewrite of ``operation``'s wire response."""
        def register(function: Transform) -> Transform:
            self.add(Fault(name, does, rule_ids(*breaks), caught_as, transform=function, operation=operation,
                           wire_only=wire_only, applies=applies))
            return function

        return register

    def patch(self, name: str, breaks: Iterable[rules.Rule], does: str) -> Callable[[Patch], Patch]:
        """Declares the decorated function a fault of its own: a replacement of a step of the model."""
        def register(function: Patch) -> Patch:
            self.add(Fault(name, does, rule_ids(*breaks), patch=function))
            return function

        return register


def rule_ids(*broken: rules.Rule) -> tuple[str, ...]:
    return tuple(rule.id for rule in broken)


def replace_step(gateway: Gateway, step: str, function: Callable[..., Any]) -> None:
    """Shadow one method of the model on this instance only (setattr: mypy forbids method assignment)."""
    setattr(gateway, step, function)


def edition_of(info: RequestInfo) -> Edition:
    return info.gateway.edition


def answered_as(info: RequestInfo, status: int, body: Any, name: str) -> bool:
    """Whether the clean model answered the edition's expected answer ``name`` (asked of the edition: two
    answers may share a status, and are told apart by their code and message)."""
    return edition_of(info).answered(status, body) == name


def is_missing_credential(info: RequestInfo, status: int, body: Any) -> bool:
    return answered_as(info, status, body, rules.MISSING_CREDENTIAL)


def message_field(info: RequestInfo) -> str:
    return edition_of(info).envelope.message


def json_text(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
