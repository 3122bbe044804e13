"""The one session: every request the suite sends goes through :class:`ContractSession`.

Whoever builds the request (a scenario through :class:`~contracts.client.ApiClient`, or schemathesis' generated
cases in the property tests), the session holds it to the same rules before and after it is sent:

- **Never follows a redirect**: a 3xx to any request is :class:`Redirected`, naming the status and
  the ``Location``; nothing is re-sent.
- **Only its own** (guard.py): a request that could change a credential (any method but GET, HEAD,
  OPTIONS) must name one in the run's namespace, in a project of the run; no path may hold a dot segment
  (``requests`` turns ``%2E%2E`` back into ``..``, which servers resolve).
  :class:`~contracts.http.errors.UnsafeRequest` before anything is sent.
- **Bounded**: a total deadline from connect to the last byte (deadline.py: a watchdog shuts the socket, so a
  gateway that drips one byte a second cannot hold the run), a cap on the body (:class:`AnswerTooLarge`,
  naming the size), and ``elapsed`` measured to the last byte.
- **The token only on the wire**: requests carry :data:`~contracts.redaction.PLACEHOLDER`; the
  session's auth puts the token in at send time and the request handed back shows the placeholder
  again, so no frame local, exception or report holds it. ``.netrc``, URL user info and proxy
  settings never replace it (``trust_env`` is off; proxies and the CA bundle are taken from the
  environment explicitly).
- **Echoes scrubbed at receipt** (answer.py): an answer that carries a registered token in any encoding
  is marked (:func:`~contracts.http.answer.leaks`) and its body and headers are scrubbed before anything
  reads them.
- **Only reads retried**: a connection failure of a GET is retried; anything that may have reached
  the gateway never is.
- **Rate limits and a busy Manager waited out** (:class:`RateLimit`): a 429, or a 503 with ``Retry-After``, is
  waited out (``Retry-After`` delay-seconds or HTTP-date, else exponential backoff) within the request's deadline
  and a run-wide budget, and re-sent after the wait, whatever the method. A rate limiter answers 429 without
  passing the request on (RFC 6585 4); a 503 says the server "is currently unable to handle the request" and its
  ``Retry-After`` when to come back (RFC 9110 15.6.4): the request was not handled, so a DELETE, a create or a
  change goes again as a read does. (A Manager that changed something and then answered 503 breaks that; the
  re-sent request shows it: a DELETE finds nothing, a create finds its name taken.) Beyond the wait allowed, the
  last answer stands, and the infrastructure watch makes it the run's one verdict. Nothing else is retried.
  Requests are paced up front (``--rate-limit``); a limited answer halves the pace and answers that are not
  limited climb it back (AIMD), all its threads sharing one pace and one budget.

Observers (the judge, the recorder, replay's time restoration) see each answer once it is whole; the requests
sent in :meth:`ContractSession.unobserved` (the suite's own probes) are seen by none.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.util.retry import Retry

from contracts.http import batch
from contracts.http.answer import UNDECODABLE_ATTRIBUTE, settle
from contracts.http.auth import TokenAtSendTime, mask_token_of, presents_the_token
from contracts.http.deadline import Watchdog, WatchedAdapter
from contracts.http.errors import AnswerTooLarge, GatewayMisbehaved, NoAnswerInTime, Redirected, ReplayedFailure, shown
from contracts.http.guard import Guard
from contracts.http.infrastructure import InfrastructureWatch
from contracts.http.ratelimit import RateLimit, rate_limited
from contracts.redaction import Secret, excerpt
from contracts.tokens import TokenSource

_UNOBSERVED: contextvars.ContextVar[bool] = contextvars.ContextVar("apiops_unobserved", default=False)
MAX_BODY = 16 * 1024 * 1024  # bytes; a credential list of a large project is far below
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
        self._proxies: dict[str, dict[str, str]] = {}
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
            self.mount(prefix, WatchedAdapter(max_retries=reads_only))

    def __repr__(self) -> str:
        return "ContractSession()"

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The proxy settings of the environment for the URL's origin, read once per origin (requests would read
        the whole environment twice per request)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies:
            self._proxies[origin] = requests.utils.get_environ_proxies(origin + "/")
        return self._proxies[origin]

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        method, url = str(request.method), str(request.url)
        self.guard.check(method, url)
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        # Per read, no longer than the whole: a silent gateway is given up on as soon as possible.
        if not kwargs.get("proxies"):  # trust_env is off: take the proxy settings, not .netrc, from the environment
            kwargs["proxies"] = self._proxies_for(url)
        until = time.monotonic() + self.deadline  # the request's deadline, waits for a rate limit included
        for attempt in range(64):
            response, body, elapsed = self._attempt(request, method, url, until, kwargs)
            if not rate_limited(response):
                self.rate_limit.answered()
                break
            # A 429 (RFC 6585 4) or a 503 with Retry-After (RFC 9110 15.6.4): the request was not handled, so it
            # goes again after the wait, whatever its method (see the module docstring).
            if not self.rate_limit.wait(response, attempt, until):
                break
            self.token_auth(request)  # the token back in: the attempt masked it
        if response.status_code == 401 and self.token_auth.source.refreshable and \
                presents_the_token(request.headers.get("Authorization")):
            # A service account's token refused: fetched again, and the request sent again, once (a second 401
            # is the run's verdict: the credentials no longer get an accepted token).
            settle(response, body, elapsed)
            self.token_auth.source.refresh()
            self.token_auth(request)
            response, body, elapsed = self._attempt(request, method, url, until, kwargs)
        settle(response, body, elapsed)
        if response.is_redirect or 300 <= response.status_code < 400:
            for observe in self._observers():
                if not getattr(observe, "judges", False):  # recorded, but no answer to judge
                    batch.observe(functools.partial(observe, response))
            location = response.headers.get("Location", "(no Location)")
            raise self.on_failure(request, Redirected(
                f"{method} {shown(url)} answered {response.status_code} redirecting to {excerpt(location, 200)}: "
                "the suite never follows a redirect, and re-sent nothing", method, url, response.status_code,
                excerpt(location, 200)))
        for observe in self._observers():
            batch.observe(functools.partial(observe, response))
        return response

    def _attempt(self, request: requests.PreparedRequest, method: str, url: str, until: float,
                 kwargs: dict[str, Any]) -> tuple[requests.Response, bytes, float]:
        """One send within what is left of the deadline, after the request's slot: answer, body, its time."""
        self.rate_limit.slot(until)
        started = time.monotonic()
        left = max(0.001, until - started)
        kwargs["timeout"] = (min(10.0, left), left)
        with Watchdog(left) as watch:
            try:
                response = super().send(request, **kwargs)
                body = self._read(response, method, url, watch)
            except ReplayedFailure as replayed:
                raise self._no_answer(request, replayed.failure(method, url)) from None
            except requests.RequestException:
                if watch.fired:
                    raise self._no_answer(request, NoAnswerInTime(
                        f"{method} {shown(url)}: no complete answer within the {self.deadline:g} s deadline "
                        "(--request-timeout)", method, url)) from None
                raise
            except AnswerTooLarge as failure:
                raise self._no_answer(request, failure) from None
            finally:
                mask_token_of(request)  # no frame holds the token while a rate limit is waited out
        return response, body, time.monotonic() - started

    def watch_infrastructure(self, judge: Observer, seen: dict[str, str],
                             went_down: Callable[[str], bool]) -> InfrastructureWatch:
        """``judge`` as an observer that never sees the infrastructure's answers (see :class:`InfrastructureWatch`)."""
        return InfrastructureWatch(judge, seen, went_down)

    def _observers(self) -> list[Observer]:
        return [] if _UNOBSERVED.get() else list(self.observers)

    @contextlib.contextmanager
    def unobserved(self) -> Iterator[None]:
        """The requests this thread sends in the block are seen by no observer (neither judged nor recorded): the
        suite's own probes, e.g. whether a login page answers a read too (a replay never makes them)."""
        token = _UNOBSERVED.set(True)
        try:
            yield
        finally:
            _UNOBSERVED.reset(token)

    def _no_answer(self, request: requests.PreparedRequest, failure: GatewayMisbehaved) -> BaseException:
        """Tell the failure observers (the recorder), then what to raise (the judge names the rule)."""
        mask_token_of(request)
        for observe in [] if _UNOBSERVED.get() else list(self.failure_observers):
            batch.observe(functools.partial(observe, request, failure))
        return self.on_failure(request, failure)

    def _read(self, response: requests.Response, method: str, url: str, watch: Watchdog) -> bytes:
        raw = response.raw
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            response.close()
            raise AnswerTooLarge(f"{method} {shown(url)} answered {response.status_code} with a "
                                 f"{int(declared):,}-byte body, over the {self.max_body:,}-byte cap", method, url)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in raw.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > self.max_body:
                    response.close()
                    raise AnswerTooLarge(f"{method} {shown(url)} answered {response.status_code} with a body "
                                         f"over the {self.max_body:,}-byte cap (stopped reading after {size:,} "
                                         "bytes)", method, url)
                chunks.append(chunk)
        except urllib3.exceptions.DecodeError as exc:
            # The whole answer arrived, but not in the Content-Encoding it names: the Manager's answer, judged
            # (answer.undecodable), not a gateway that could not be reached. Its body: none that can be read.
            response.close()
            encoding = excerpt(response.headers.get("Content-Encoding", ""), 40)
            setattr(response, UNDECODABLE_ATTRIBUTE, f"its body does not decode as its Content-Encoding: {encoding} "
                                                     f"says ({excerpt(str(exc.args[0] if exc.args else exc), 120)})")
            return b""
        except urllib3.exceptions.HTTPError as exc:  # a broken body, as requests would have said it
            raise requests.ConnectionError(f"the answer's body broke off: {type(exc).__name__}") from None
        if watch.fired:
            raise requests.ConnectionError("deadline")
        raw.release_conn()
        return b"".join(chunks)

