"""The one API client: every request the suite sends goes through :class:`ContractSession`.

Whoever builds the request (a scenario through :class:`ApiClient`, or schemathesis' generated cases
in the property tests), the session holds it to the same rules before and after it is sent:

- **Never follows a redirect**: a 3xx to any request is :class:`Redirected`, naming the status and
  the ``Location``; nothing is re-sent.
- **Only its own**: a request that could change a credential (any method but GET, HEAD, OPTIONS)
  must name one in the run's namespace, in a project of the run; no path may hold a dot segment
  (``requests`` turns ``%2E%2E`` back into ``..``, which servers resolve). :class:`UnsafeRequest`
  before anything is sent.
- **Bounded**: a total deadline from connect to the last byte (a watchdog shuts the socket, so a
  gateway that drips one byte a second cannot hold the run), a cap on the body (:class:`AnswerTooLarge`,
  naming the size), and ``elapsed`` measured to the last byte.
- **The token only on the wire**: requests carry :data:`~contracts.secrets.PLACEHOLDER`; the
  session's auth puts the token in at send time and the request handed back shows the placeholder
  again, so no frame local, exception or report holds it. ``.netrc``, URL user info and proxy
  settings never replace it (``trust_env`` is off; proxies and the CA bundle are taken from the
  environment explicitly).
- **Echoes scrubbed at receipt**: an answer that carries a registered token in any encoding is
  marked (:func:`leaks`) and its body and headers are scrubbed before anything reads them.
- **Only reads retried**: a connection failure of a GET is retried; anything that may have reached
  the gateway never is.
- **Rate limits waited out** (:class:`RateLimit`): a 429, or a 503 with ``Retry-After``, is waited out
  (``Retry-After`` delay-seconds or HTTP-date, else exponential backoff) within the request's deadline and a
  run-wide budget. A 429 is re-sent after the wait, whatever the method: a rate limiter answers it without
  passing the request on (RFC 6585). A 503 is re-sent only to a read: it may come from the Manager itself.
  Nothing else is retried. Requests are paced up front (``--rate-limit``); a limited answer halves the pace
  and answers that are not limited climb it back (AIMD), all its threads sharing one pace and one budget.

Observers (the judge, the recorder, replay's time restoration) see each answer once it is whole.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import email.utils
import fcntl
import functools
import io
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.retry import Retry

from contracts import clock, secrets
from contracts.naming import Namespace
from contracts.secrets import PLACEHOLDER, Secret, excerpt
from contracts.stack import Routing
from contracts.tokens import Personal, TokenSource

# Written into every credential the suite creates, so that a later run can tell how old a leftover is.
CREATED_BY = "created by the delete-credential contract suite at "
CREATED_AT = re.compile(re.escape(CREATED_BY) + r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")
MAX_BODY = 16 * 1024 * 1024  # bytes; a credential list of a large project is far below
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LEAKS_ATTRIBUTE = "apiops_leaks"  # set on a response: where it carried a token


class GatewayUnreachable(Exception):
    """The gateway did not answer (DNS, refused connection, TLS, connect timeout)."""


class UnsafeRequest(Exception):
    """The suite tried to send something that could touch a credential it does not own."""


class GatewayMisbehaved(AssertionError):
    """The gateway answered in a way the suite refuses to go on with; a failure of the test."""

    def __init__(self, message: str, method: str, url: str) -> None:
        super().__init__(secrets.redact(message))
        self.method, self.url = method, url


class Redirected(GatewayMisbehaved):
    """A 3xx: the suite never follows one (the target could be anybody's credential)."""


class AnswerTooLarge(GatewayMisbehaved):
    """A body over the size cap."""


class NoAnswerInTime(GatewayMisbehaved):
    """The whole answer did not arrive within the total deadline."""


FAILURES: dict[str, type[GatewayMisbehaved]] = {"deadline": NoAnswerInTime, "too-large": AnswerTooLarge}


class ReplayedFailure(requests.ConnectionError):
    """A recorded request that got no usable answer, played back: the session raises what it raised live."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message

    def failure(self, method: str, url: str) -> GatewayMisbehaved:
        return FAILURES.get(self.kind, NoAnswerInTime)(self.message, method, url)


def failure_kind(failure: GatewayMisbehaved) -> str:
    return next((kind for kind, cls in FAILURES.items() if isinstance(failure, cls)), "deadline")


# -- the token, put in at send time --------------------------------------------------------------------
class TokenAtSendTime(AuthBase):
    """Replaces :data:`PLACEHOLDER` in the Authorization header with the token as the request is prepared.

    ``Bearer <placeholder>`` is the suite's token; ``Basic <placeholder>`` the same token under
    another scheme (a scenario sends that on purpose). Any other value goes as it is.
    """

    def __init__(self, token: Secret | TokenSource) -> None:
        # A personal token, or a service account's, fetched and kept fresh (contracts/tokens.py).
        self.source = token if isinstance(token, TokenSource) else Personal(token)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if PLACEHOLDER in request.headers.get("Authorization", ""):
            # No local variable: a traceback's locals must never hold the header.
            request.headers["Authorization"] = request.headers["Authorization"].replace(
                PLACEHOLDER, self.source.current())
        return request

    def __repr__(self) -> str:
        return "TokenAtSendTime(<the configured token>)"


def _mask_token(response: requests.Response) -> None:
    """The request handed back (to tests, recordings, reports) carries the placeholder again."""
    _mask_token_of(response.request)


def _mask_token_of(request: requests.PreparedRequest) -> None:
    value = request.headers.get("Authorization")
    if value is not None:
        request.headers["Authorization"] = secrets.redact(value, PLACEHOLDER)


def presents_the_token(authorization: str | None) -> bool:
    """Whether a request presented the suite's own token as a Bearer token (the client shows it as the placeholder)."""
    scheme, _, credential = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and credential == PLACEHOLDER


# -- the total deadline --------------------------------------------------------------------------------
_WATCH: contextvars.ContextVar[_Watchdog | None] = contextvars.ContextVar("apiops_watchdog", default=None)


class _Watchdog:
    """Shuts the request's socket when the deadline passes, whatever the socket is waiting for."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to stop
                self._sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        self._token = _WATCH.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _WATCH.reset(self._token)


class _WatchedMixin:
    sock: socket.socket | None

    def getresponse(self) -> Any:
        watch = _WATCH.get()
        if watch is not None:
            watch.attach(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    pass


class _WatchedAdapter(HTTPAdapter):
    """Pools whose connections hand their socket to the request's watchdog."""

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: bool | str | None,
                                        proxies: Mapping[str, str] | None = None,
                                        cert: Any = None) -> urllib3.connectionpool.ConnectionPool:
        pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
        if isinstance(pool, urllib3.HTTPConnectionPool):  # an HTTPSConnectionPool too
            pool.ConnectionCls = _WatchedHTTPSConnection if pool.scheme == "https" else _WatchedHTTPConnection
        return pool


# -- independent requests at once ---------------------------------------------------------------------------
# Inside :meth:`ApiClient.concurrently`, each call's observations (recorder, judge, register) wait here,
# to be made in call order once all are done: a recording keeps the order the test asked in, not the
# order the gateway answered in, so its replay (one by one, in that order) matches it.
_BATCH: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar("apiops_batch",
                                                                                     default=None)


def _observe(observation: Callable[[], None]) -> None:
    batch = _BATCH.get()
    if batch is None:
        observation()
    else:
        batch.append(observation)


T = TypeVar("T")


def run_concurrently(calls: Sequence[Callable[[], T]], limit: int) -> list[T]:
    """Run independent calls at most ``limit`` at a time; their answers observed in call order.

    Each call runs in a copy of the caller's context (the test's ledger, the judge's aside). The first
    failure, in call order, is raised once every call has ended and every answer was observed.
    """
    if limit <= 1 or len(calls) <= 1:  # one at a time (a replay: the recorded order), every call made all the same
        done: list[T] = []
        failed: Exception | None = None
        for call in calls:
            try:
                done.append(call())
            except Exception as exc:  # noqa: BLE001 - as at once: every call is made before the first failure
                failed = failed or exc
        if failed is not None:
            raise failed
        return done
    observed: list[list[Callable[[], None]]] = [[] for _ in calls]

    def run(index: int, call: Callable[[], T]) -> T:
        token = _BATCH.set(observed[index])
        try:
            return call()
        finally:
            _BATCH.reset(token)

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(limit, len(calls))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, run, index, call) for index, call in enumerate(calls)]
        concurrent.futures.wait(futures)
    first: BaseException | None = None
    results: list[T] = []
    for future, observations in zip(futures, observed, strict=True):
        for observation in observations:
            try:
                observation()
            except BaseException as exc:  # noqa: BLE001 - every answer is observed before the first failure is raised
                first = first or exc
        error = future.exception()
        if error is not None:
            first = first or error
        else:
            results.append(future.result())
    if first is not None:
        raise first
    return results


# -- the guard -------------------------------------------------------------------------------------------
@dataclass
class Guard:
    """What a request may touch: credentials of the run's namespace, in the run's projects."""

    api_path: str  # the API root's path, e.g. "/apiops"
    namespace: Namespace
    projects: set[str] = field(default_factory=set)

    def check(self, method: str, url: str) -> None:
        path = urlsplit(url).path
        pieces = path.split("/")
        if any(piece in (".", "..") for piece in pieces):
            raise UnsafeRequest(f"refusing {method} {path}: a dot segment would be resolved into another path")
        if method.upper() in READ_METHODS:
            return
        rest = path[len(self.api_path):] if path.startswith(self.api_path + "/") else path
        parts = rest.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "projects":
            self._project(method, unquote(parts[1]))
        if len(parts) >= 4 and parts[0] == "projects" and parts[2] == "credentials":
            username = unquote(parts[3])
            if not self.namespace.owns(username):
                raise UnsafeRequest(f"refusing {method} of credential {username!r}: not created by this run")
        elif method.upper() == "DELETE":
            raise UnsafeRequest(f"refusing DELETE {path}: the suite deletes credentials only")

    def _project(self, method: str, project: str) -> None:
        # A case variant of a configured project is allowed: it can only hold this run's username
        # if the gateway wrongly folds case, which is exactly what the case-sensitivity rule probes.
        if project.lower() not in {name.lower() for name in self.projects} and not self.namespace.owns(project):
            raise UnsafeRequest(f"refusing {method} in project {project!r}: not a project of this run")


# -- rate limits -------------------------------------------------------------------------------------------
LIMITED = frozenset({429, 503})  # 503 only with Retry-After: a proxy's or the Manager's "come back later"
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


# -- the infrastructure's answers -------------------------------------------------------------------------
# What a proxy in front of the Manager owns: a gateway error (the Manager behind it is down or unreachable),
# a rate limit not waited out, and the methods a proxy answers itself.
DOWN_STATUSES = frozenset({502, 503, 504})
PROXY_METHODS = frozenset({"TRACE", "CONNECT"})
PROXY_SERVERS = ("nginx", "apache", "envoy", "haproxy", "awselb", "cloudflare", "traefik", "squid", "varnish")


@dataclass(frozen=True)
class Infrastructure:
    """An answer that is visibly the infrastructure's, not the Management API's: why, and whether the run can go on."""

    cause: str  # one line, the same for every answer of the same cause (one verdict per cause)
    example: str  # METHOD URL answered STATUS …, the first one seen
    stops: bool  # the Manager is not reachable through it: the run cannot go on


def infrastructure(response: requests.Response) -> Infrastructure | None:
    """Why this answer is the infrastructure's (a proxy in front of the Manager), or None: then it is the Manager's,
    and judged as such. An HTML page alone is not enough (a Manager's servlet container answers with one too)."""
    status, method = response.status_code, str(response.request.method).upper()
    server = response.headers.get("Server", "")
    html = "html" in response.headers.get("Content-Type", "").lower() or response.text.lstrip().startswith("<")
    proxy = next((name for name in PROXY_SERVERS if name in server.lower()), None)
    by = f"the proxy in front of the Manager ({server})" if proxy else "the infrastructure in front of the Manager"
    page = " with an HTML page" if html else ""
    example = f"{method} {_shown(str(response.url))} answered {status}{page}"
    if status in DOWN_STATUSES:
        return Infrastructure(f"{by} answered {status}{page}: the Manager behind it is down or unreachable",
                              example, stops=True)
    if status == 429:
        return Infrastructure(f"{by} kept answering 429 (rate limited) beyond the run's waiting budget "
                              "(set --rate-limit below its limit)", example, stops=True)
    if method in PROXY_METHODS and status in (405, 501) and (html or proxy or "Allow" not in response.headers):
        return Infrastructure(f"{by} answers {method} itself ({status}{page}, no Allow): the Manager never sees it",
                              example, stops=False)
    if proxy and html and status >= 400:
        return Infrastructure(f"{by} answered {status}{page} itself", example, stops=False)
    return None


class ManagerDown(GatewayMisbehaved):
    """The infrastructure in front of the Manager says the Manager cannot be reached: the run cannot go on."""


class TokenNoLongerAccepted(GatewayMisbehaved):
    """The suite's own token, accepted until now, is refused: expired or revoked. The run cannot go on."""


class InfrastructureWatch:
    """The judge's place among the session's observers: an answer visibly the infrastructure's is not the Manager's,
    so no rule of the Manager judges it; ``seen`` keeps one example per cause. One that says the Manager cannot be
    reached is :class:`ManagerDown`, raised when ``went_down(why)`` says so (the run's one verdict)."""

    judges = True  # the judge's own redirect handling stays the judge's (see ContractSession.send)

    def __init__(self, judge: Callable[[requests.Response], None], seen: dict[str, str],
                 went_down: Callable[[str], bool]) -> None:
        self.judge, self.seen, self.went_down = judge, seen, went_down

    def __call__(self, response: requests.Response) -> None:
        found = infrastructure(response)
        if found is None:
            self.judge(response)
            return
        self.seen.setdefault(found.cause, found.example)
        if found.stops and self.went_down(f"{found.cause} ({found.example})"):
            raise ManagerDown(f"{found.example}: {found.cause}", str(response.request.method), str(response.url))


# -- the session -------------------------------------------------------------------------------------------
Observer = Callable[[requests.Response], None]


class ContractSession(requests.Session):
    """A ``requests.Session`` that holds every request to the rules in the module docstring."""

    def __init__(self, token: Secret | TokenSource, guard: Guard, *, deadline: float = 30.0, max_body: int = MAX_BODY,
                 verify: bool | str = True, rate_limit: RateLimit | None = None) -> None:
        super().__init__()
        self.rate_limit = rate_limit or RateLimit()
        self.trust_env = False  # no .netrc, no user info from the URL, no surprise proxies
        self.auth = self.token_auth = TokenAtSendTime(token)
        self.verify = verify
        self.guard = guard
        self.deadline = deadline
        self.max_body = max_body
        self.observers: list[Observer] = []
        self.failure_observers: list[Callable[[requests.PreparedRequest, GatewayMisbehaved], None]] = []
        # What a request that got no usable answer raises instead (the judge names the rule it breaks).
        self.on_failure: Callable[[requests.PreparedRequest, GatewayMisbehaved], BaseException] = \
            lambda request, failure: failure
        # respect_retry_after_header off: urllib3 would retry a GET's 429 with no status retries left, and
        # raise RetryError; the session waits limits out itself (RateLimit), every method alike.
        reads_only = Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0,
                           allowed_methods=frozenset({"GET"}), backoff_factor=0.1, respect_retry_after_header=False)
        for prefix in ("http://", "https://"):
            self.mount(prefix, _WatchedAdapter(max_retries=reads_only))

    def __repr__(self) -> str:
        return "ContractSession()"

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        method, url = str(request.method), str(request.url)
        self.guard.check(method, url)
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        # Per read, no longer than the whole: a silent gateway is given up on as soon as possible.
        if not kwargs.get("proxies"):  # trust_env is off: take the proxy settings, not .netrc, from the environment
            kwargs["proxies"] = requests.utils.get_environ_proxies(url)
        until = time.monotonic() + self.deadline  # the request's deadline, waits for a rate limit included
        for attempt in range(64):
            response, body, elapsed = self._attempt(request, method, url, until, kwargs)
            if not rate_limited(response):
                self.rate_limit.answered()
                break
            # RFC 6585: a limiter answers 429 without passing the request on, so it may go again; a 503
            # may be the Manager's own, so only a read goes again (a change might have been made).
            again = response.status_code == 429 or method.upper() in READ_METHODS
            if not self.rate_limit.wait(response, attempt, until) or not again:
                break
            self.token_auth(request)  # the token back in: the attempt masked it
        if response.status_code == 401 and self.token_auth.source.refreshable and \
                presents_the_token(request.headers.get("Authorization")):
            # A service account's token refused: fetched again, and the request sent again, once (a second 401
            # is the run's verdict: the credentials no longer get an accepted token).
            _settle(response, body, elapsed)
            self.token_auth.source.refresh()
            self.token_auth(request)
            response, body, elapsed = self._attempt(request, method, url, until, kwargs)
        _settle(response, body, elapsed)
        if response.is_redirect or 300 <= response.status_code < 400:
            for observe in list(self.observers):
                if not getattr(observe, "judges", False):  # recorded, but no answer to judge
                    _observe(functools.partial(observe, response))
            location = response.headers.get("Location", "(no Location)")
            raise self.on_failure(request, Redirected(
                f"{method} {_shown(url)} answered {response.status_code} redirecting to {excerpt(location, 200)}: "
                "the suite never follows a redirect, and re-sent nothing", method, url))
        for observe in list(self.observers):
            _observe(functools.partial(observe, response))
        return response

    def _attempt(self, request: requests.PreparedRequest, method: str, url: str, until: float,
                 kwargs: dict[str, Any]) -> tuple[requests.Response, bytes, float]:
        """One send within what is left of the deadline, after the request's slot: answer, body, its time."""
        self.rate_limit.slot(until)
        started = time.monotonic()
        left = max(0.001, until - started)
        kwargs["timeout"] = (min(10.0, left), left)
        with _Watchdog(left) as watch:
            try:
                response = super().send(request, **kwargs)
                body = self._read(response, method, url, watch)
            except ReplayedFailure as replayed:
                raise self._no_answer(request, replayed.failure(method, url)) from None
            except requests.RequestException:
                if watch.fired:
                    raise self._no_answer(request, NoAnswerInTime(
                        f"{method} {_shown(url)}: no complete answer within the {self.deadline:g} s deadline "
                        "(--request-timeout)", method, url)) from None
                raise
            except AnswerTooLarge as failure:
                raise self._no_answer(request, failure) from None
            finally:
                _mask_token_of(request)  # no frame holds the token while a rate limit is waited out
        return response, body, time.monotonic() - started

    def watch_infrastructure(self, judge: Observer, seen: dict[str, str],
                             went_down: Callable[[str], bool]) -> InfrastructureWatch:
        """``judge`` as an observer that never sees the infrastructure's answers (see :class:`InfrastructureWatch`)."""
        return InfrastructureWatch(judge, seen, went_down)

    def _no_answer(self, request: requests.PreparedRequest, failure: GatewayMisbehaved) -> BaseException:
        """Tell the failure observers (the recorder), then what to raise (the judge names the rule)."""
        _mask_token_of(request)
        for observe in list(self.failure_observers):
            _observe(functools.partial(observe, request, failure))
        return self.on_failure(request, failure)

    def _read(self, response: requests.Response, method: str, url: str, watch: _Watchdog) -> bytes:
        raw = response.raw
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            response.close()
            raise AnswerTooLarge(f"{method} {_shown(url)} answered {response.status_code} with a "
                                 f"{int(declared):,}-byte body, over the {self.max_body:,}-byte cap", method, url)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in raw.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > self.max_body:
                    response.close()
                    raise AnswerTooLarge(f"{method} {_shown(url)} answered {response.status_code} with a body "
                                         f"over the {self.max_body:,}-byte cap (stopped reading after {size:,} "
                                         "bytes)", method, url)
                chunks.append(chunk)
        except urllib3.exceptions.HTTPError as exc:  # a broken body, as requests would have said it
            raise requests.ConnectionError(f"the answer's body broke off: {type(exc).__name__}") from None
        if watch.fired:
            raise requests.ConnectionError("deadline")
        raw.release_conn()
        return b"".join(chunks)


def _settle(response: requests.Response, body: bytes, elapsed: float) -> None:
    """Make the answer whole: its body scrubbed of echoed tokens, its time to the last byte."""
    presented = _presented(response.request.headers.get("Authorization"))
    leaks: list[str] = []
    text = body.decode("utf-8", "surrogateescape")
    if secrets.find(text, presented):
        leaks.append("body")
        body = secrets.redact(text, PLACEHOLDER, presented).encode("utf-8", "surrogateescape")
    headers = urllib3.HTTPHeaderDict()
    for name, value in response.raw.headers.items():
        if name.lower() in ("content-encoding", "content-length", "transfer-encoding"):
            continue  # the body below is decoded and whole
        if secrets.find(value, presented):
            leaks.append(f"header {name}")
            value = secrets.redact(value, PLACEHOLDER, presented)
        headers.add(name, value)
    headers["Content-Length"] = str(len(body))
    version = getattr(response.raw, "version", 11)
    # The answer as read, for whoever reads the response next (requests, schemathesis): a body
    # already decoded and scrubbed, headers scrubbed, nothing left on the socket.
    response.raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=headers, status=response.status_code,
                                        version=version, reason=response.reason, preload_content=False,
                                        decode_content=False, request_url=response.url)
    response.headers = CaseInsensitiveDict(headers)
    response.content  # noqa: B018  (reads the body into the response, from memory)
    response.elapsed = timedelta(seconds=elapsed)
    setattr(response, LEAKS_ATTRIBUTE, leaks)
    _mask_token(response)


def leaks(response: requests.Response) -> list[str]:
    """Where the answer carried a token (``body``, ``header X``), as found when it arrived."""
    return list(getattr(response, LEAKS_ATTRIBUTE, []))


def _presented(authorization: str | None) -> list[str]:
    """The credential a request presented, when long enough to be a token (a generated ``Bearer a`` is not)."""
    credential = (authorization or "").partition(" ")[2].strip()
    return [credential] if len(credential) >= 16 and credential != PLACEHOLDER else []


def _shown(url: str) -> str:
    return secrets.redact(url)


# -- the client ------------------------------------------------------------------------------------------
class _Default:
    def __repr__(self) -> str:
        return "<the configured token>"


TOKEN = _Default()  # ``auth=TOKEN``: send ``Bearer <configured token>``
Auth = _Default | str | None
BEARER = f"Bearer {PLACEHOLDER}"


def segment(value: str) -> str:
    """Percent-encode one path segment; ``/`` included, so a name is always one segment.

    A name of ``.`` or ``..`` cannot be sent: ``requests`` decodes ``%2E`` back into a dot segment,
    which the server resolves into another path.
    """
    if value in (".", ".."):
        raise UnsafeRequest(f"a name of {value!r} cannot be sent as a path segment: it would be resolved away")
    return quote(value, safe="")


class CreateCapReached(UnsafeRequest):
    """The run would create more credentials than its cap (contracts/profiles.py, ``create_cap``): it stops."""


class CreateBudget:
    """At most ``cap`` creates in the whole run, counted in one file per run (``path``) that every xdist worker
    shares, under an exclusive lock: a gateway that keeps failing cannot make a run deploy without end."""

    def __init__(self, cap: int, path: Path) -> None:
        self.cap, self.path = cap, path
        self._lock = threading.Lock()

    @classmethod
    def start(cls, cap: int, path: Path) -> CreateBudget:
        """A new count at zero (the controller, or a sequential run, before any worker creates anything)."""
        path.write_text("0", encoding="utf-8")
        return cls(cap, path)

    def take(self, username: str) -> None:
        with self._lock, self.path.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            used = int(handle.read().strip() or 0)
            if used >= self.cap:
                raise CreateCapReached(f"the run reached its cap of {self.cap} credentials created (it would create "
                                       f"{username!r} next): it stops here, cleanly, instead of deploying more "
                                       "(--hypothesis-profile sets how many the property tests create)")
            handle.seek(0)
            handle.truncate()
            handle.write(str(used + 1))

    def used(self) -> int:
        try:
            return int(self.path.read_text(encoding="utf-8").strip() or 0)
        except (OSError, ValueError):
            return 0


class ApiClient:
    def __init__(
        self,
        api_url: str,
        token: Secret | TokenSource,
        namespace: Namespace,
        *,
        projects: Iterable[str] = (),
        timeout: float = 30.0,
        verify: bool | str = True,
        max_body: int = MAX_BODY,
        concurrency: int = 1,
        rate_limit: float | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.namespace = namespace
        self.concurrency = concurrency  # independent requests at once (1 on a replay: the recorded order)
        # operation id -> path template, where the edition in force moves a supporting operation (contracts/editions)
        self.paths: dict[str, str] = {}
        # The characters the Manager's HTTP stack refuses in a path, as the run learned them (contracts/stack.py):
        # a credential named with one could never be deleted, so it is never created.
        self.routing: Routing = Routing()
        self.create_budget: CreateBudget | None = None  # the run's cap on what it creates (None: no cap)
        guard = Guard(urlsplit(self.api_url).path, namespace, set(projects))
        self.session = ContractSession(token, guard, deadline=timeout, max_body=max_body, verify=verify,
                                       rate_limit=RateLimit(rate_limit))

    @property
    def projects(self) -> set[str]:
        return self.session.guard.projects

    def __repr__(self) -> str:
        return f"ApiClient({self.api_url!r})"

    # -- the one place that sends -------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        auth: Auth = TOKEN,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send ``method`` to ``{api_url}{path}``; ``path`` is already percent-encoded."""
        sent = dict(headers or {})
        if isinstance(auth, _Default):
            sent["Authorization"] = BEARER
        elif auth is not None:
            sent["Authorization"] = auth
        return self.send(method=method, url=self.api_url + path, json=json, headers=sent)

    def send(self, **request: Any) -> requests.Response:
        """Send a request given as ``requests`` arguments (e.g. a schemathesis case's transport kwargs)."""
        method, url = str(request.get("method", "GET")), str(request.get("url", ""))
        try:
            return self.session.request(**request)
        except requests.RequestException as exc:
            # ``from None``: the chained urllib3 traceback says nothing more, and is long.
            raise GatewayUnreachable(f"{method} {_shown(url)}: {_reason(exc, url)}") from None

    def concurrently(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Independent calls (creates or deletes of distinct credentials) at most ``concurrency`` at a time."""
        return run_concurrently(calls, self.concurrency)

    # -- the endpoint under contract ----------------------------------------------------------
    def delete_credential(self, project: str, username: str, *, auth: Auth = TOKEN) -> requests.Response:
        """delete-credential.md: ``DELETE /projects/{projectName}/credentials/{username}/``."""
        return self.request("DELETE", credential_path(project, username), auth=auth)

    # -- supporting operations ----------------------------------------------------------------
    def list_projects(self, *, auth: Auth = TOKEN) -> requests.Response:
        return self.request("GET", "/projects/", auth=auth)

    def environments(self, project: str) -> requests.Response:
        # get-environments-by-project.md: the older pages write this path without a trailing slash; the edition
        # in force may move it (/projects/{projectName}/environments/).
        template = self.paths.get("getEnvironmentsByProject", "/environments/{projectName}")
        return self.request("GET", template.replace("{projectName}", segment(project)))

    def list_credentials(self, project: str, *, auth: Auth = TOKEN) -> requests.Response:
        return self.request("GET", f"/projects/{segment(project)}/credentials/", auth=auth)

    def api_proxies(self, project: str) -> requests.Response:
        return self.request("GET", f"/projects/{segment(project)}/apiProxies/")  # list-api-proxies.md

    def api_proxy_groups(self, project: str) -> requests.Response:
        return self.request("GET", f"/projects/{segment(project)}/apiProxyGroups/")  # list-api-proxy-groups.md

    def create_credential(self, project: str, username: str, **fields: Any) -> requests.Response:
        refused = self.routing.undeletable(username)
        if refused:
            raise UnsafeRequest(f"not creating {username!r}: the Manager's HTTP stack refuses "
                                f"{' '.join(refused)} in a path, so it could never be deleted through its path")
        if self.create_budget is not None:
            self.create_budget.take(username)
        body = {
            "email": "contract-suite@example.com",
            "fullName": "Contract Suite",
            "description": f"{CREATED_BY}{clock.now().strftime('%Y-%m-%dT%H:%M:%SZ')}; safe to delete",
            "username": username,
            "password": "Contract-Suite-Password-1!",
            "roleNameList": [],
            "enabled": True,
            "ipList": [],
            "expireDate": None,
            **fields,
        }
        return self.request("POST", f"/projects/{segment(project)}/credentials/", json=body)

    def change_password(self, project: str, username: str, password: str) -> requests.Response:
        """change-credential-password.md: ``PATCH`` on the credential path, the path's other method."""
        return self.request("PATCH", credential_path(project, username), json={"password": password})

    def granted_access(self, project: str, username: str) -> requests.Response:
        return self.request("GET", credential_path(project, username) + "access/")

    def grant_access(
        self, project: str, username: str, name: str, type_: str = "API_PROXY"
    ) -> requests.Response:
        body = {"credentialAccessList": [{"name": name, "type": type_}]}
        return self.request("PUT", credential_path(project, username) + "access/", json=body)

    # -- conveniences built on the above ------------------------------------------------------
    def usernames(self, project: str) -> list[str]:
        return [item["username"] for item in result_list(self.list_credentials(project), "list credentials")]

    def environment_names(self, project: str) -> list[str]:
        return [item["name"] for item in result_list(self.environments(project), "environments by project")]

    def project_names(self) -> list[str]:
        return [item["name"] for item in result_list(self.list_projects(), "list projects")]


def credential_path(project: str, username: str) -> str:
    return f"/projects/{segment(project)}/credentials/{segment(username)}/"


class UnexpectedResponse(AssertionError):
    """A supporting call (not the one under test) did not do what the suite needs from it."""


def describe(response: requests.Response) -> str:
    """``METHOD URL answered STATUS: <first bytes>`` (or that it is not JSON): what a failure must name."""
    body = response.text
    kind = "" if _is_json(response) else (" (not JSON)" if body.strip() else " (no body)")
    shown = f": {excerpt(body, 200)}" if body.strip() else ""
    return f"{response.request.method} {_shown(str(response.url))} answered {response.status_code}{kind}{shown}"


def _is_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def expect(response: requests.Response, status: int, what: str) -> requests.Response:
    if response.status_code != status:
        raise UnexpectedResponse(f"{what}: expected {status}, but {describe(response)}")
    return response


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """The body as a JSON object, or a failure that says what came instead."""
    try:
        body = response.json()
    except ValueError:
        raise UnexpectedResponse(f"{what}: expected a JSON object, but {describe(response)}") from None
    if not isinstance(body, dict):
        raise UnexpectedResponse(f"{what}: expected a JSON object, but {describe(response)}")
    return body


def result_list(response: requests.Response, what: str) -> list[dict[str, Any]]:
    expect(response, 200, what)
    items = json_object(response, what).get("resultList")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise UnexpectedResponse(f"{what}: expected a resultList of objects, but {describe(response)}")
    return items


def _unresolvable(host: str) -> bool:
    """Whether ``host`` is a name that does not resolve (an address always "resolves")."""
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror:
        return True
    except OSError:
        return False
    return False


def _reason(exc: requests.RequestException, url: str) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        text = str(exc).lower()
        if "wrong version number" in text or "record layer" in text or "unknown protocol" in text:
            return "the server does not speak TLS: is it plain http:// rather than https://?"
        return "TLS verification failed (set REQUESTS_CA_BUNDLE to your CA bundle)"
    if isinstance(exc, requests.Timeout):
        return "no answer within the timeout"
    if "by Responses" in str(exc):  # replaying a recording: say what it expected instead
        lines = [line.strip() for line in str(exc).splitlines() if "doesn't match" in line or "- " in line]
        return "not in the recording: " + (lines[0] if lines else "no more recorded exchanges")
    if isinstance(exc, requests.ConnectionError):
        host = urlsplit(url).hostname or ""
        if host and _unresolvable(host):
            return f"the host name {host!r} does not resolve (DNS): is the URL spelt right?"
        return "connection failed: the host refused or dropped it (is the gateway up, on that port?)"
    return type(exc).__name__
