"""What can go wrong with a request, as the suite names it: unreachable, unsafe, or an answer it refuses."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import requests

from contracts import redaction


class GatewayUnreachable(Exception):
    """The gateway did not answer (DNS, refused connection, TLS, connect timeout)."""


class UnsafeRequest(Exception):
    """The suite tried to send something that could touch a credential it does not own."""


class GatewayMisbehaved(AssertionError):
    """The gateway answered in a way the suite refuses to go on with; a failure of the test."""

    def __init__(self, message: str, method: str, url: str) -> None:
        super().__init__(redaction.redact(message))
        self.method, self.url = method, url


class Redirected(GatewayMisbehaved):
    """A 3xx: the suite never follows one (the target could be anybody's credential). ``status`` and ``location``:
    what it answered."""

    def __init__(self, message: str, method: str, url: str, status: int = 0, location: str = "") -> None:
        super().__init__(message, method, url)
        self.status, self.location = status, redaction.redact(location)


class AnswerTooLarge(GatewayMisbehaved):
    """A body over the size cap."""


class NoAnswerInTime(GatewayMisbehaved):
    """The whole answer did not arrive within the total deadline."""


class TokenNoLongerAccepted(GatewayMisbehaved):
    """The suite's own token, accepted until now, is refused: expired or revoked. The run cannot go on."""


class FrontDoorClosed(GatewayMisbehaved):
    """The Manager, or the front door in front of it (an SSO proxy), stopped accepting the token mid-run: its
    answers turned into a login page, and a read preflight saw answered gets one too. The run cannot go on."""


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


def shown(url: str) -> str:
    """A URL as a message may show it: no token in it."""
    return redaction.redact(url)


def _unresolvable(host: str) -> bool:
    """Whether ``host`` is a name that does not resolve (an address always "resolves")."""
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror:
        return True
    except OSError:
        return False
    return False


def reason(exc: requests.RequestException, url: str) -> str:
    """Why a request got no answer, in one line that says what to check (:class:`GatewayUnreachable`'s message)."""
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
