"""Where the suite's token comes from: a personal token, or a service account's, fetched and kept fresh.

authentication.md (docs.apinizer.com, "Method 1" and "Method 2") gives two ways to authenticate:

- a **Personal API Access Token** (``APIOPS_TOKEN``): it never expires, or expires on a date chosen
  when it was made, and can be revoked (:class:`Personal`);
- a **service account's client credentials** (``APIOPS_CLIENT_ID``, ``APIOPS_CLIENT_SECRET``, from the
  environment only, never a flag): ``POST {manager}/apiops/auth/token`` with the form
  ``grant_type=client_credentials&client_id=…&client_secret=…`` answers ``{access_token, token_type:
  "Bearer", expires_in}``, or 401 ``{error: unauthorized_client, error_description: "Bad credentials"}``
  (:class:`ClientCredentials`). The token is fetched before preflight, fetched again before
  ``expires_in`` runs out, and once on a refused-token 401 (the client then sends that request again,
  once).

The secret and every token minted with it are registered for redaction (contracts/redaction.py) the moment
they are known: every encoding, every writer, recordings included.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from contracts.redaction import Secret, excerpt, register

TOKEN_PATH = "/apiops/auth/token"
REFRESH_AT = 0.8  # of a token's lifetime: fetched again before it runs out, not after


class TokenError(Exception):
    """A token could not be had: one line, never quoting the secret."""


class TokenSource:
    """The token the client puts into each request as it is sent."""

    refreshable = False
    kind = "token"

    def current(self) -> str:
        raise NotImplementedError

    def refresh(self) -> bool:
        """Fetch a new token now (after a refused-token 401); whether one was fetched."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"


class Personal(TokenSource):
    """``APIOPS_TOKEN``: the same token all run long."""

    kind = "personal API access token (APIOPS_TOKEN)"

    def __init__(self, token: Secret) -> None:
        self._token = token  # registered for redaction where the run takes it (contracts/targets.py)

    def current(self) -> str:
        return self._token.reveal()


class ClientCredentials(TokenSource):
    """A service account's client credentials, exchanged for short-lived tokens as the run needs them."""

    refreshable = True
    kind = "service account (APIOPS_CLIENT_ID, APIOPS_CLIENT_SECRET)"

    def __init__(self, manager_url: str, client_id: str, client_secret: Secret, *, verify: bool | str = True,
                 timeout: float = 30.0) -> None:
        register(client_secret)
        self.url = manager_url.rstrip("/") + TOKEN_PATH
        self.client_id, self._secret, self.verify, self.timeout = client_id, client_secret, verify, timeout
        self._token: Secret | None = None
        self._fresh_until = 0.0
        self._lock = threading.Lock()

    def current(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._fresh_until:
                self._fetch()
            assert self._token is not None
            return self._token.reveal()

    def refresh(self) -> bool:
        with self._lock:
            self._fetch()
        return True

    def _fetch(self) -> None:
        form = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self._secret.reveal()}
        with requests.Session() as session:
            session.trust_env = False  # no .netrc, no surprise proxies (as the suite's own client)
            try:
                response = session.post(self.url, data=form, allow_redirects=False, timeout=self.timeout,
                                        verify=self.verify)
            except requests.RequestException as exc:
                raise TokenError(f"POST {self.url} (the service account's token) failed: "
                                 f"{type(exc).__name__}") from None
        body: Any = _json(response)
        if response.status_code == 401:
            raise TokenError(f"POST {self.url} answered 401 {excerpt(str(body or response.text), 160)}: the service "
                             f"account's client id {self.client_id!r} or its secret (APIOPS_CLIENT_SECRET) was refused")
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise TokenError(f"POST {self.url} answered {response.status_code} without an access_token "
                             f"({excerpt(response.text, 160)}): is --base-url the Manager URL?")
        register(token)  # before anything else can print it
        lifetime = body.get("expires_in")
        lifetime = float(lifetime) if isinstance(lifetime, (int, float)) and lifetime > 0 else 3600.0
        self._token = Secret(token)
        self._fresh_until = time.monotonic() + lifetime * REFRESH_AT


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
