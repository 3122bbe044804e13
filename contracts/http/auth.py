"""The token only on the wire: requests carry :data:`~contracts.redaction.PLACEHOLDER`, put in at send time.

The request handed back (to tests, recordings, reports) shows the placeholder again, so no frame local,
exception or report holds the token.
"""

from __future__ import annotations

import requests
from requests.auth import AuthBase

from contracts import redaction
from contracts.redaction import PLACEHOLDER, Secret
from contracts.tokens import Personal, TokenSource


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


def mask_token_of(request: requests.PreparedRequest) -> None:
    """The request handed back (to tests, recordings, reports) carries the placeholder again."""
    value = request.headers.get("Authorization")
    if value is not None:
        request.headers["Authorization"] = redaction.redact(value, PLACEHOLDER)


def presents_the_token(authorization: str | None) -> bool:
    """Whether a request presented the suite's own token as a Bearer token (the client shows it as the placeholder)."""
    scheme, _, credential = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and credential == PLACEHOLDER
