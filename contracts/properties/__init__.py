"""Property tests of ``DELETE /apiops/projects/{projectName}/credentials/{username}/``.

Two kinds, in ``test_delete_credential_properties.py``:

- schema-driven: schemathesis generates requests from ``openapi.yaml`` (examples, coverage and
  fuzzing phases, positive and negative data); each is sent through the suite's client, whose
  judge holds every answer to the rulebook, then checked by schemathesis' checks
  (``schemathesis.toml``);
- semantic: hypothesis generates usernames and the suite's client checks what the docs promise
  for any of them (create, delete, delete again, list).

This module keeps every generated name inside the run's namespace (:func:`confine`). A replay
(``--target stub``) regenerates the recorded cases (the same profile, seed and versions) and the
recording answers them in order.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

import hypothesis
from requests.structures import CaseInsensitiveDict

from contracts.client import segment
from contracts.naming import Namespace

if TYPE_CHECKING:
    from schemathesis import Case

# -- keeping generated names inside the run's namespace -------------------------------------------------
# base-url.md: names hold no spaces and no "/"; openapi.yaml's pattern for both path parameters.
VALID_NAME = re.compile(r"[^/\s]+")


# A proxy in front of a gateway may decode "%2F" (or read a backslash as "/"), then resolve "." and ".."
# segments: "<root>a/../../../Other/credentials/admin" would climb out of the namespace there.
_SEPARATORS = re.compile(r"([/\\])")


def has_dot_segment(name: str) -> bool:
    """Whether some "/"- or "\\"-separated piece of ``name`` is "." or ".."."""
    return any(piece in (".", "..") for piece in _SEPARATORS.split(name))


def defuse(name: str) -> str:
    """``name`` with every dot segment prefixed by "_", so no decoding proxy can resolve it."""
    return "".join(f"_{piece}" if piece in (".", "..") else piece for piece in _SEPARATORS.split(name))


def _decoded(value: object) -> str:
    # Generated path parameters are already percent-encoded for the wire (schemathesis quotes them);
    # anything that is not a string (a negative case of another type) is sent as its text.
    return unquote(value) if isinstance(value, str) else str(value)


# Generated extra headers with these names (negative data) would change how the request is framed
# or routed on the wire; the HTTP server or a proxy in front rejects them before the API sees them,
# in its own format, so they would test the web server, not the operation under contract.
HTTP_FRAMING_HEADERS = frozenset({"transfer-encoding", "content-length", "host", "connection", "keep-alive",
                                  "te", "trailer", "upgrade", "expect", "proxy-connection"})


def confine(case: Case, namespace: Namespace, fixed: dict[str, str]) -> None:
    """Rewrite the case's path parameters so that nothing outside the run can be touched; drop framing headers.

    Whatever the operation (``case.operation``), each of its path parameters becomes:

    - if named in ``fixed`` (e.g. ``{"projectName": <the run's project>}``): that value when the
      generated one is a valid name (so requests reach the lookup behind it), else the invalid value
      kept invalid but under the namespace root (an unknown project of ours: never anybody else's);
    - any other (``username``): the namespace root + what was generated, so it names one of ours;
    - in both, dot segments are defused (:func:`defuse`): an invalid name may hold "/", and a proxy
      that decodes it must not resolve "..".

    The client's guard checks every request again as it is sent (contracts/http/guard.py).

    Generated headers in :data:`HTTP_FRAMING_HEADERS` are dropped. Containers are replaced, not
    edited, so schemathesis re-judges whether the case is still positive or negative before its
    checks read that.
    """
    params = dict(case.path_parameters)
    for name in case.operation.path_parameters:
        generated = _decoded(params.get(name.name, ""))
        if name.name in fixed and VALID_NAME.fullmatch(generated):
            params[name.name] = segment(fixed[name.name])
        else:
            confined = defuse(namespace.root + generated)
            if namespace.reaches_another(confined):  # a folding Manager would take it for another's: not this one
                hypothesis.reject()
            params[name.name] = segment(confined)
    case.path_parameters = params
    framing = [name for name in case.headers if name.lower() in HTTP_FRAMING_HEADERS]
    if framing:
        case.headers = CaseInsensitiveDict({k: v for k, v in case.headers.items() if k not in framing})
