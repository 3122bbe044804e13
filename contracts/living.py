"""A staging that lives: reads that settle, the lag its lists showed, and the changes others made to a project.

A shared staging Manager moves while the suite runs: another pipeline, or the Manager's own Credential
Synchronization (Apinizer 2026.09.0 fills a project's credentials from LDAP, a database or an identity provider on a
schedule), creates and deletes credentials in the project, and a Manager reading from a replica lists a write late.
Only the run's own changes count:

- every claim that a credential is, or is no longer, listed or granted is read again until it holds or the settle
  window passes (:class:`Settler`, ``--settle``); the longest wait a kind of claim needed is the Manager's own finding
  (:class:`Lag`), never another rule's failure;
- a change to a project the run did not make (a name of another's, created or deleted between two of the run's reads)
  is another writer's (:class:`Others`): counted once for the summary, and left out of the neighbour rules.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests

V = TypeVar("V")
FIRST_PAUSE = 0.1  # seconds before the first read again; doubled each time, up to MAX_PAUSE
MAX_PAUSE = 1.0


@dataclass
class Lag:
    """The longest a kind of claim ("a create shows in the list") had to be read again before it held."""

    waited: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def saw(self, claim: str, seconds: float) -> None:
        with self.lock:
            self.waited[claim] = max(seconds, self.waited.get(claim, 0.0))

    def line(self, window: float) -> str | None:
        """The Manager's finding, in one line, or None when every claim held at the first read."""
        if not self.waited:
            return None
        worst = ", ".join(f"{claim} {seconds:.1f} s" for claim, seconds in sorted(self.waited.items(),
                                                                                   key=lambda item: -item[1]))
        return (f"the Manager lists its writes late, as a replica read would (the longest waits: {worst}); each read "
                f"that proves something was read again until it held (--settle {window:g} s)")


@dataclass
class Others:
    """The names of others' credentials each project listed at the run's last read of it, and every one seen created
    or deleted between two reads: the changes the run did not make."""

    last: dict[str, frozenset[str]] = field(default_factory=dict)
    changed: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def saw(self, project: str, names: list[str], ours: Callable[[str], bool]) -> set[str]:
        """One read of ``project``'s list: the names of others created or deleted since the previous read."""
        theirs = frozenset(name for name in names if not ours(name))
        with self.lock:
            last, self.last[project] = self.last.get(project), theirs
            if last is None:
                return set()
            moved = set(last ^ theirs)
            self.changed |= {(project, name) for name in moved}
            return moved



@dataclass
class Settler:
    """Reads a claim again until it holds, within ``window`` seconds (0: read once). On a replay, ``again`` says
    whether the recorded run read again (its answers, not the clock, decide: the same reads as recorded)."""

    window: float = 5.0
    lag: Lag = field(default_factory=Lag)
    again: Callable[[requests.Response], bool] | None = None

    def settle(self, read: Callable[[], requests.Response], value: Callable[[requests.Response], V],
               holds: Callable[[V], bool], claim: str | None) -> V:
        """``value`` of the first read for which ``holds``, or of the last one when the window passed. ``claim``
        names what the Manager was waited for (its :class:`Lag`); None: not the Manager's (others' changes)."""
        started = time.monotonic()
        pause = FIRST_PAUSE
        for reads in range(1, 1000):
            response = read()
            seen = value(response)
            if holds(seen):
                if reads > 1 and claim is not None and self.again is None:  # a replay's pauses are not the Manager's
                    self.lag.saw(claim, time.monotonic() - started)
                return seen
            if self.again is not None:
                if not self.again(response):
                    return seen
            elif time.monotonic() - started + pause > self.window:
                return seen
            else:
                time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
        return seen
