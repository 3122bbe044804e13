"""Rate limits waited out, and the pace that keeps them rare.

A 429, or a 503 with ``Retry-After``, is waited out (``Retry-After`` delay-seconds or HTTP-date, else exponential
backoff) within the request's deadline and a run-wide budget. Requests are paced up front (``--rate-limit``); a
limited answer halves the pace and answers that are not limited climb it back (AIMD), all of a session's threads
sharing one pace and one budget. Every answer waited out goes again after the wait (session.py says why a 503's
request goes again whatever its method).
"""

from __future__ import annotations

import contextlib
import email.utils
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC

import requests

RATE_LIMIT_BUDGET = 300.0  # seconds a run may spend waiting out rate limits, clean-up aside
CLEANUP_ALLOWANCE = 120.0  # more seconds, for the clean-up alone: it must get through a rate limit
MAX_BACKOFF = 8.0  # seconds: the longest wait without Retry-After


def retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds (delay-seconds or an HTTP-date, RFC 9110 10.2.3); None when absent or unreadable.

    An HTTP-date is GMT in each of its forms (RFC 9110 5.6.7), the obsolete asctime form too, which names no zone;
    one in the past is 0 s. Read against this machine's clock.
    """
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # asctime, or "-0000": GMT all the same, not the local zone
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def rate_limited(response: requests.Response) -> bool:
    """A 429, or a 503 that says when to come back: an answer to wait out, not to judge."""
    return response.status_code == 429 or (response.status_code == 503 and retry_after(response) is not None)


class RateLimit:
    """One pace and one waiting budget for every request of a session (all its threads, --concurrency).

    The pace is AIMD (additive increase, multiplicative decrease, as TCP's congestion control). ``rate``
    (requests per second; set from --rate-limit) is the ceiling: requests are paced at it up front, and
    ``None`` sends them as they come. Each limited answer multiplies the pace by :data:`DECREASE`, never under
    :data:`MIN_RATE` (an unpaced session starts from the rate it was sending at, which becomes its ceiling
    for the while); each answer that is not limited adds a step of the ceiling, so that :data:`RECOVERY`
    such answers climb back from one decrease, until the pace is the ceiling again, or, with none
    configured, the session is unpaced again.

    Counted for the run's summary (:meth:`counts`): the limited answers by status, the seconds waited out
    (the budget's measure, summed over requests), and the seconds during which at least one request was held
    back (waiting out a limit, or paced): what the limits cost the run's wall time.
    """

    MIN_RATE = 0.5  # requests per second: the slowest pace
    DECREASE = 0.5  # the pace after a limited answer, as a share of the pace before it
    RECOVERY = 3  # answers that are not limited, to climb back from one decrease

    ceiling: float | None  # requests per second: the configured pace (--rate-limit); None: unpaced
    _pace: float | None  # requests per second now; None: unpaced

    def __init__(self, rate: float | None = None, budget: float = RATE_LIMIT_BUDGET) -> None:
        self.rate = rate
        self.budget = budget
        self.waited = 0.0  # seconds spent waiting out limits, summed over requests (the budget's measure)
        self.limited = 0  # limited answers, waited out or not
        self.held = 0.0  # seconds during which at least one request was held back (waiting out a limit, or paced)
        self._by_status: dict[int, int] = {}
        self._held_until = 0.0  # monotonic end of the holds counted so far
        self._top: float | None = None  # an unpaced session's ceiling for the while: the rate it was limited at
        self._next = 0.0  # monotonic time of the next free slot
        self._sent: list[tuple[float, float]] = []  # recent sends: time, and the seconds held back until then
        self._lock = threading.Lock()

    @property
    def rate(self) -> float | None:
        """The pace now, requests per second; None: unpaced."""
        return self._pace

    @rate.setter
    def rate(self, value: float | None) -> None:
        """The configured pace (--rate-limit, this worker's share): the ceiling, and the pace from now on."""
        self.ceiling = self._pace = value

    def slot(self, until: float) -> None:
        """Wait for this request's slot (no longer than ``until``, the request's deadline)."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            if self._pace:
                self._next = start + 1.0 / self._pace
            self._hold(now, min(start, until))
            self._sent = [*self._sent[-19:], (start, self.held)]
        delay = min(start, until) - now
        if delay > 0:
            time.sleep(delay)

    def wait(self, response: requests.Response, attempt: int, until: float) -> bool:
        """Wait out a limited answer; False when the wait does not fit the deadline or the budget."""
        told = retry_after(response)
        delay = told if told is not None else min(MAX_BACKOFF, 0.25 * 2 ** attempt)
        with self._lock:
            now = time.monotonic()
            self.limited += 1
            self._by_status[response.status_code] = self._by_status.get(response.status_code, 0) + 1
            self._slow_down(now)
            if now + delay > until or self.waited + delay > self.budget:
                return False
            self.waited += delay
            self._hold(now, now + delay)
            self._next = max(self._next, now + delay)  # every thread waits: the limiter counts them all
        time.sleep(delay)
        return True

    def answered(self) -> None:
        """An answer that was not limited: the pace climbs a step back towards its ceiling."""
        with self._lock:
            if self._pace is None:
                return
            top = self.ceiling or self._top or self._pace
            self._pace += top * (1 - self.DECREASE) / self.RECOVERY
            if self._pace >= top * 0.999:  # back: at the ceiling, or unpaced again
                self._pace, self._top = self.ceiling, None

    def _slow_down(self, now: float) -> None:
        if self._pace is None:  # from the rate it was sending at, while nothing held it back
            recent = [(at, held) for at, held in self._sent if at > now - 2.0]
            busy = now - recent[0][0] - (self.held - recent[0][1]) if recent else 0.0
            sending = len(recent) / max(busy, 0.1) if len(recent) > 1 else 2.0
            self._pace = self._top = max(self.MIN_RATE, sending)
        self._pace = max(self.MIN_RATE, self._pace * self.DECREASE)

    def _hold(self, start: float, end: float) -> None:
        """Count [start, end) into :attr:`held` where no earlier hold covers it (holds are told in start order)."""
        if end > start:
            self.held += max(0.0, end - max(start, self._held_until))
            self._held_until = max(self._held_until, end)

    def counts(self) -> dict[str, float]:
        """For the run's summary and report: limited answers by status, seconds waited out, seconds held back."""
        with self._lock:
            return {"limited_429": self._by_status.get(429, 0), "limited_503": self._by_status.get(503, 0),
                    "waited_s": round(self.waited, 3), "held_s": round(self.held, 3)}

    @contextlib.contextmanager
    def allowance(self, seconds: float) -> Iterator[None]:
        """More waiting budget for a while (the clean-up: it must get through a rate limit)."""
        with self._lock:
            self.budget += seconds
        try:
            yield
        finally:
            with self._lock:
                self.budget -= seconds


def limited_line(counts: Mapping[str, float]) -> str | None:
    """The run's one line on rate limits (:meth:`RateLimit.counts`, summed over xdist workers), or None when
    no answer was limited."""
    parts: list[str] = []
    for status, what in (("429", "429"), ("503", "503 with Retry-After")):
        count = int(counts.get(f"limited_{status}", 0))
        if count:
            noun = "" if parts else (" answer" if count == 1 else " answers")
            parts.append(f"{count}{noun} {'was' if count == 1 else 'were'} {what}")
    if not parts:
        return None
    return (f"apiops: rate limited: {' and '.join(parts)}, the run waited {float(counts.get('held_s', 0)):.1f} s "
            "in all")

