"""An answer made whole once read: its body, headers and reason phrase scrubbed of echoed tokens, its time to the
last byte.

An answer that carries a registered token in any encoding is marked (:func:`leaks`) and scrubbed before
anything reads it; one whose body does not decode as it says is marked too (:func:`undecodable`).
"""

from __future__ import annotations

import codecs
import io
from datetime import timedelta

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from contracts import redaction
from contracts.http.auth import mask_token_of
from contracts.redaction import PLACEHOLDER

LEAKS_ATTRIBUTE = "apiops_leaks"  # set on a response: where it carried a token
UNDECODABLE_ATTRIBUTE = "apiops_undecodable"  # set on a response: why its body does not decode as it says
REASON_PHRASE = "the status line's reason phrase"  # where a leak may be, beside ``body`` and ``header X``


def settle(response: requests.Response, body: bytes, elapsed: float) -> None:
    """Make the answer whole: its body, headers and reason phrase scrubbed of echoed tokens, its time to the last
    byte."""
    presented = _presented(response.request.headers.get("Authorization"))
    leaks: list[str] = []
    text = body.decode("utf-8", "surrogateescape")
    if redaction.find(text, presented):
        leaks.append("body")
        body = redaction.redact(text, PLACEHOLDER, presented).encode("utf-8", "surrogateescape")
    reason = str(response.reason or "")  # the status line's own text: a gateway may echo there too
    if redaction.find(reason, presented):
        leaks.append(REASON_PHRASE)
        response.reason = redaction.redact(reason, PLACEHOLDER, presented)
    headers = urllib3.HTTPHeaderDict()
    for name, value in response.raw.headers.items():
        if name.lower() in ("content-encoding", "content-length", "transfer-encoding"):
            continue  # the body below is decoded and whole
        if redaction.find(value, presented):
            leaks.append(f"header {name}")
            value = redaction.redact(value, PLACEHOLDER, presented)
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
    if body.startswith(codecs.BOM_UTF8) and not undecodable(response):
        # Read past it (RFC 8259 8.1 lets a parser ignore it), so that the run goes on, and marked: the judge holds
        # it against every-answer-is-documented (JSON sent over a network must not carry one).
        response.encoding = "utf-8-sig"
        setattr(response, UNDECODABLE_ATTRIBUTE, "its body begins with a UTF-8 byte order mark (EF BB BF), which "
                                                 "JSON sent over a network must not carry (RFC 8259 8.1)")
    response.elapsed = timedelta(seconds=elapsed)
    setattr(response, LEAKS_ATTRIBUTE, leaks)
    mask_token_of(response.request)


def leaks(response: requests.Response) -> list[str]:
    """Where the answer carried a token (``body``, ``header X``, :data:`REASON_PHRASE`), as found when it arrived."""
    return list(getattr(response, LEAKS_ATTRIBUTE, []))


def undecodable(response: requests.Response) -> str | None:
    """Why the answer's body does not decode as it says (its ``Content-Encoding``, a byte order mark before its
    JSON), or None. Such an answer arrived: it is the Manager's, judged, never an unreachable gateway."""
    return getattr(response, UNDECODABLE_ATTRIBUTE, None)


def _presented(authorization: str | None) -> list[str]:
    """The credential a request presented, when long enough to be a token (a generated ``Bearer a`` is not)."""
    credential = (authorization or "").partition(" ")[2].strip()
    return [credential] if len(credential) >= 16 and credential != PLACEHOLDER else []
