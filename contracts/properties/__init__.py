"""Property tests of ``DELETE /apiops/projects/{projectName}/credentials/{username}/``.

Two kinds, in ``test_delete_credential_properties.py``:

- schema-driven: schemathesis generates requests from ``openapi.yaml`` (examples, coverage and
  fuzzing phases, positive and negative data) and judges every answer with its checks and ours
  (``contracts/checks.py``, ``schemathesis.toml``);
- semantic: hypothesis generates usernames and the suite's client checks what the docs promise
  for any of them (create, delete, delete again, list).

This module holds what both need and what the plugin needs before any test is collected:

- the hypothesis profiles ``dev``, ``ci`` and ``thorough`` (:func:`configure_hypothesis`);
- :func:`confine`: every generated name is rewritten into the run's namespace before it is sent;
- :func:`rebuild`: a recorded request as a schemathesis case again, for replays (``--target stub``);
- :func:`problems`: the contract's verdict on one response of the suite's client.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

import pytest
import requests
from hypothesis import HealthCheck, settings
from requests.structures import CaseInsensitiveDict

from contracts.checks import error_body_problems, presented_credential, token_problems
from contracts.client import UnsafeRequest, segment
from contracts.naming import Namespace
from contracts.secrets import MASK, redact
from contracts.spec import Contract

if TYPE_CHECKING:
    from schemathesis import APIOperation, Case

    from contracts.recording import Interaction

OPERATION = "deleteCredential"

# -- hypothesis profiles --------------------------------------------------------------------------
# Sending a request is the slow part of every example, so no profile has a per-example deadline:
# the response-time budget (--max-response-time) is the check for slowness.
PROFILES: dict[str, settings] = {
    # Local runs: seconds, not minutes. The default when neither --hypothesis-profile nor CI is set.
    "dev": settings(max_examples=10, deadline=None),
    # CI: the same examples on every run (derandomize), nothing remembered between runs (no database),
    # and a failure prints the blob that reproduces it (@reproduce_failure).
    "ci": settings(max_examples=50, deadline=None, derandomize=True, database=None, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow]),
    # Nightly runs against staging: many examples; too_slow is expected over a real network.
    "thorough": settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
}


def register_profiles() -> None:
    for name, profile in PROFILES.items():
        settings.register_profile(name, profile)


def default_profile() -> str:
    """``ci`` when the ``CI`` variable is set (or hypothesis detected a CI), else ``dev``."""
    in_ci = os.environ.get("CI") is not None or settings.get_current_profile_name() == "ci"
    return "ci" if in_ci else "dev"


def configure_hypothesis(config: pytest.Config) -> None:
    """Register the profiles; load the default one unless ``--hypothesis-profile`` names one.

    Runs in the plugin's ``pytest_configure`` (tryfirst), before hypothesis' own ``pytest_configure``
    loads the profile named on the command line, so that every name exists by then.
    """
    register_profiles()
    if not config.getoption("hypothesis_profile", default=None):
        settings.load_profile(default_profile())


def replay_seed(value: object) -> int:
    """``--hypothesis-seed`` as the integer seed schemathesis needs (hypothesis takes any string)."""
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else int.from_bytes(text.encode()[:8].ljust(8, b"\0"), "big")


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


def confine(case: Case, namespace: Namespace, project: str) -> None:
    """Rewrite the case so that nothing outside the run can be touched, and drop framing headers.

    - ``username``: the namespace root + what was generated, so every DELETE names one of ours;
    - ``projectName``: a valid generated name becomes the configured project (so requests reach the
      credential lookup), an invalid one is kept invalid but under the namespace root (an unknown
      project of ours: never anybody else's);
    - in both, dot segments are defused (:func:`defuse`): an invalid name may hold "/", and a proxy
      that decodes it must not resolve "..".

    Generated headers in :data:`HTTP_FRAMING_HEADERS` are dropped. Containers are replaced, not
    edited, so schemathesis re-judges whether the case is still positive or negative before its
    checks read that.
    """
    params = dict(case.path_parameters)
    params["username"] = segment(defuse(namespace.root + _decoded(params.get("username", ""))))
    generated_project = _decoded(params.get("projectName", ""))
    if VALID_NAME.fullmatch(generated_project):
        params["projectName"] = segment(project)
    else:
        params["projectName"] = segment(defuse(namespace.root + generated_project))
    case.path_parameters = params
    framing = [name for name in case.headers if name.lower() in HTTP_FRAMING_HEADERS]
    if framing:
        case.headers = CaseInsensitiveDict({k: v for k, v in case.headers.items() if k not in framing})
    guard(case, namespace, project)


def guard(case: Case, namespace: Namespace, project: str) -> None:
    """The client's safety rule, for requests that schemathesis sends itself (it bypasses ApiClient)."""
    username = unquote(str(case.path_parameters.get("username", "")))
    project_name = unquote(str(case.path_parameters.get("projectName", "")))
    if not namespace.owns(username) or has_dot_segment(username):
        raise UnsafeRequest(f"refusing {case.method} of credential {username!r}: not safely under {namespace.root!r}")
    if project_name != project and (not namespace.owns(project_name) or has_dot_segment(project_name)):
        raise UnsafeRequest(f"refusing {case.method} in project {project_name!r}: not a project of this run")


# -- rebuilding recorded requests as cases (replay) ---------------------------------------------------------
_CREDENTIAL_PATH = re.compile(r"^/projects/(?P<projectName>[^/?#]+)/credentials/(?P<username>[^/?#]+)/$")


class NotReplayable(Exception):
    """A recorded request that the generated test cannot have sent."""


def rebuild(operation: APIOperation, interaction: Interaction, token: str) -> tuple[Case, dict[str, str]]:
    """The recorded request as a case, and the headers to call it with.

    The path parameters stay percent-encoded as recorded, so the replayed URL is the recorded one.
    A request that carried the suite's token gets it back as a call header, as the auth provider
    gave it when recording (schemathesis then treats it as configured auth, as it did then); any
    other Authorization, or none, was generated and goes back into the case.

    What the recording cannot hold, how the case was generated, is rebuilt from what was sent, so
    the checks that read it judge the replay as they judged the recording:

    - a method other than DELETE was the coverage phase's undeclared-method probe;
    - a Content-Type on a DELETE, which has no body, was its Content-Type probe;
    - no Authorization was the coverage phase's missing-Authorization case;
    - an Authorization other than the token was negative data; the token, positive.
    """
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.core.transport import HttpMethod
    from schemathesis.generation import GenerationMode
    from schemathesis.generation.meta import (
        CaseMetadata,
        ComponentInfo,
        CoverageScenario,
        FuzzingPhaseData,
        GenerationInfo,
        PhaseInfo,
        TestPhase,
    )

    match = _CREDENTIAL_PATH.match(interaction.path)
    if match is None:
        raise NotReplayable(f"{interaction.method} {interaction.path}: not a request of {operation.label}")
    headers = CaseInsensitiveDict(interaction.request_headers)
    call_headers: dict[str, str] = {}
    ours = f"Bearer {token}"
    if headers.get("Authorization") == ours:
        call_headers["Authorization"] = headers.pop("Authorization")
    authorization, content_type = headers.get("Authorization"), headers.get("Content-Type")

    # Members by value: schemathesis' enums are StrEnums, which mypy reads as str for Python 3.10.
    positive, negative = GenerationMode("positive"), GenerationMode("negative")
    scenario: CoverageScenario | None = None
    if interaction.method != operation.method.upper():
        scenario = CoverageScenario("unspecified_http_method")
        description = f"Unspecified HTTP method: {interaction.method}"
    elif content_type is not None:
        malformed = content_type.startswith("multipart/") and "boundary=" not in content_type
        scenario = CoverageScenario("malformed_content_type" if malformed else "unsupported_content_type")
        description = f"Content-Type probe: {content_type}"
    probe = scenario is not None  # a request-shape probe: negative whatever its parameters
    phase: PhaseInfo
    if scenario is not None:
        phase = PhaseInfo.coverage(scenario, description)
    elif authorization is None and not call_headers:
        phase = PhaseInfo.coverage(CoverageScenario("missing_parameter"), "Missing `Authorization` at header",
                                   parameter="Authorization", parameter_location=ParameterLocation.HEADER)
    else:
        phase = PhaseInfo(name=TestPhase("fuzzing"), data=FuzzingPhaseData(None, None, None, None))
    meta = CaseMetadata(
        generation=GenerationInfo(time=0.0, mode=negative if probe or not call_headers else positive),
        # Path parameters were confined into the namespace, which the contract's pattern accepts
        # once percent-encoded: schemathesis judged them positive when recording, too.
        components={ParameterLocation.PATH: ComponentInfo(mode=positive),
                    ParameterLocation.HEADER: ComponentInfo(mode=positive if call_headers else negative)},
        phase=phase,
    )
    method = cast("HttpMethod", interaction.method)
    case = operation.Case(method=method, path_parameters=match.groupdict(), headers=headers, _meta=meta)
    return case, call_headers


# -- judging the suite's own requests ---------------------------------------------------------------------
def problems(contract: Contract, response: requests.Response) -> list[str]:
    """Every way one answer of the DELETE breaks the contract: openapi.yaml and the suite's checks.

    All but the response-time budget, which the property tests judge once per run.
    """
    found = contract.violations(OPERATION, response)
    found += error_body_problems(response.status_code, response.headers.get("Content-Type"), response.text)
    presented = presented_credential(response.request.headers.get("Authorization"))
    found += [f"carries the presented token in {where}"
              for where in token_problems(dict(response.headers), response.text, presented)]
    return list(dict.fromkeys(found))  # the same problem from two rules once


def curl(response: requests.Response) -> str:
    """The request behind ``response`` as a curl line, the Authorization value masked."""
    request = response.request
    parts = ["curl", "-X", str(request.method)]
    for name, value in _shown_headers(request.headers).items():
        parts += ["-H", f"{name}: {value}"]
    if request.body:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        parts += ["-d", redact(body)]
    parts.append(str(request.url))
    return shlex.join(parts)


def _shown_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    shown = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme = str(value).partition(" ")[0]
            shown[name] = f"{scheme} {MASK}" if scheme else MASK
        elif name.lower() == "content-type":
            shown[name] = redact(str(value))
    return shown
