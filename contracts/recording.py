"""The one recording format: what a gateway answered, per test, as readable YAML.

Layout under the recordings directory::

    recording.yaml                                  # where, when and from what it was recorded
    scenarios/test_delete_credential/<test>.yaml    # one file per test: its exchanges, in order

A test file holds the test's node id, the name prefix its credentials used (so a replay sends
exactly the recorded names) and its interactions. Paths are relative to the API root, so a
recording does not depend on the host it came from. The token is replaced by a fixed placeholder
before anything is written, volatile headers are dropped, keys are sorted: two recordings of
the same gateway diff cleanly, but for their run ids.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
import responses
import yaml
from responses import matchers
from responses.registries import OrderedRegistry

from contracts import answer_checks, clock, editions, yamltext
from contracts.client import CREATED_AT, CREATED_BY
from contracts.http.errors import GatewayMisbehaved, ReplayedFailure, failure_kind
from contracts.redaction import PLACEHOLDER, redact

FORMAT = 1
ROOT_DIR = Path(__file__).resolve().parent / "recordings"  # the shipped recordings: one directory per edition


def default_dir(edition_id: str, root: Path = ROOT_DIR) -> Path:
    """Where the shipped recordings of the reference gateway answering in that edition are."""
    return root / edition_id


DEFAULT_DIR = default_dir(editions.base().id)  # what the offline default replays
META_FILE = "recording.yaml"
PUBLISHED_FILE = "published-openapi.yaml"  # beside it: what the gateway declared of itself when recorded
STUB_API_URL = "http://recorded-gateway.invalid/apiops"
ELAPSED_STEP_MS = 50
# Carries the recorded response time from the replay mock to the client session, which turns it
# back into ``response.elapsed`` and drops it (see :func:`restore_elapsed`): never seen by a test.
ELAPSED_HEADER = "X-Apiops-Recorded-Elapsed-Ms"

# Only these request headers say anything about the contract; the rest is the client's noise.
REQUEST_HEADERS = ("Authorization", "Content-Type")
# Response headers that change from one call to the next, whatever the gateway does: dropped, but for what a check
# reads (:func:`dropped`).
VOLATILE = {"date", "server", "content-length", "connection", "keep-alive", "transfer-encoding",
            "x-request-id", "x-correlation-id", "etag", "expires", "last-modified", "age", "vary"}


def dropped() -> frozenset[str]:
    """The response headers a recording drops: the volatile ones no per-answer check reads by name
    (contracts/answer_checks.py declares what each reads), so that a replay judges what the live run judged."""
    return frozenset(VOLATILE) - answer_checks.CHECKS.reads().headers


def kept(name: str, value: str) -> bool:
    """Whether a recording keeps this response header (its value already scrubbed): not dropped, or carrying an
    echoed token where a check reads every header for one."""
    return name.lower() not in dropped() or (answer_checks.CHECKS.reads().every_header and PLACEHOLDER in value)


class RecordingError(Exception):
    """A recording is missing or unreadable: one line naming the file."""


@dataclass
class Interaction:
    method: str
    path: str
    request_headers: dict[str, str]
    request_body: Any
    status: int
    response_headers: dict[str, str]
    response_body: Any  # parsed JSON, or the text when the gateway did not answer JSON
    json_body: bool = True
    elapsed_ms: int = 0  # rounded to ELAPSED_STEP_MS, so that a fast gateway's recordings diff cleanly
    failure: str | None = None  # no usable answer: "deadline" or "too-large" (the message is the body)

    def to_yaml(self) -> dict[str, Any]:
        # Keys in reading order; headers sorted, so that two recordings line up in a diff.
        request: dict[str, Any] = {"method": self.method, "path": self.path,
                                   "headers": dict(sorted(self.request_headers.items()))}
        if self.request_body is not None:
            request["json"] = self.request_body
        if self.failure is not None:
            return {"request": request, "response": {"failure": self.failure, "message": self.response_body}}
        response: dict[str, Any] = {"status": self.status, "headers": dict(sorted(self.response_headers.items()))}
        response["json" if self.json_body else "text"] = self.response_body
        response["elapsed_ms"] = self.elapsed_ms
        return {"request": request, "response": response}

    @classmethod
    def from_yaml(cls, data: dict[str, Any]) -> Interaction:
        request, response = data["request"], data["response"]
        json_body = "json" in response
        if "failure" in response:
            return cls(str(request["method"]).upper(), str(request["path"]),
                       {str(k): str(v) for k, v in (request.get("headers") or {}).items()}, request.get("json"), 0,
                       {}, str(response.get("message", "")), False, 0, str(response["failure"]))
        return cls(
            method=str(request["method"]).upper(),
            path=str(request["path"]),
            request_headers={str(k): str(v) for k, v in (request.get("headers") or {}).items()},
            request_body=request.get("json"),
            status=int(response["status"]),
            response_headers={str(k): str(v) for k, v in (response.get("headers") or {}).items()},
            response_body=response["json"] if json_body else str(response.get("text", "")),
            json_body=json_body,
            elapsed_ms=int(response.get("elapsed_ms", 0)),
        )

    @classmethod
    def capture_failure(cls, request: requests.PreparedRequest, failure: GatewayMisbehaved,
                        api_url: str) -> Interaction:
        """A request that got no usable answer: what the suite raised instead, to raise again on replay."""
        url = str(request.url)
        path = url[len(api_url):] if url.startswith(api_url) else url
        headers = {name: _scrubbed(request.headers[name]) for name in REQUEST_HEADERS if name in request.headers}
        body = None
        if request.body:
            raw = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
            body = _scrubbed(json.loads(_scrubbed(raw)))
        return cls(request.method or "GET", _scrubbed(path), headers, body, 0, {}, _scrubbed(str(failure)), False,
                   0, failure_kind(failure))

    @classmethod
    def capture(cls, response: requests.Response, api_url: str) -> Interaction:
        """Turn a live exchange into an interaction, the token (in any encoding) replaced by the placeholder.

        The client already scrubbed echoes out of the answer when it arrived; scrubbing again here,
        before and after JSON decoding, keeps that promise for whatever else a response may hold.
        """
        prepared = response.request
        url = str(prepared.url)
        path = url[len(api_url):] if url.startswith(api_url) else url
        request_headers = {name: _scrubbed(prepared.headers[name])
                           for name in REQUEST_HEADERS if name in prepared.headers}
        request_body = None
        if prepared.body:
            raw = prepared.body.decode() if isinstance(prepared.body, bytes) else str(prepared.body)
            request_body = _scrubbed(json.loads(_scrubbed(raw)))
        text = _scrubbed(response.text)
        try:
            body: Any = _scrubbed(json.loads(text))
            json_body = True
        except ValueError:
            body, json_body = text, False
        headers = {name: _scrubbed(value) for name, value in sorted(response.headers.items())
                   if kept(name, _scrubbed(value))}
        step = ELAPSED_STEP_MS
        elapsed_ms = int(round(clock.elapsed(response.elapsed.total_seconds()) * 1000 / step) * step)
        return cls(prepared.method or "GET", _scrubbed(path), request_headers, request_body,
                   response.status_code, headers, body, json_body, elapsed_ms)


def _scrubbed(value: Any) -> Any:
    """``value`` with every registered token replaced by the placeholder, in every string of it."""
    if isinstance(value, str):
        return redact(value, PLACEHOLDER)
    if isinstance(value, dict):
        return {_scrubbed(key): _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


@dataclass
class Recording:
    test: str
    namespace: str
    interactions: list[Interaction] = field(default_factory=list)

    def dump(self) -> str:
        document = {
            "format": FORMAT,
            "test": self.test,
            "namespace": self.namespace,
            "interactions": [interaction.to_yaml() for interaction in self.interactions],
        }
        return yamltext.dump(document, sort_keys=False, allow_unicode=True, width=100)


def path_for(root: Path, nodeid: str) -> Path:
    """``contracts/scenarios/test_x.py::test_y[a b]`` -> ``root/scenarios/test_x/test_y[a-b].yaml``."""
    module, _, name = nodeid.partition("::")
    parts = Path(module).with_suffix("").parts
    if parts and parts[0] == "contracts":
        parts = parts[1:]
    safe = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "-", name.replace("::", "."))
    return root.joinpath(*parts, f"{safe}.yaml")


def write(root: Path, recording: Recording) -> Path:
    path = path_for(root, recording.test)
    _write(path, recording.dump())
    return path


def _write(path: Path, text: str) -> None:
    """Every file of a recording: the token redacted (the last line of defence), written whole at once.

    xdist workers each write the run's metadata and published description: a temporary file
    renamed over the target means a reader never sees one half-written, whichever worker wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")  # this writer's own
    scratch.write_text(redact(text, PLACEHOLDER), encoding="utf-8")  # the usual permissions, as path's
    os.replace(scratch, path)


def read(root: Path, nodeid: str) -> Recording:
    path = path_for(root, nodeid)
    if not path.is_file():
        raise RecordingError(
            f"no recording for {nodeid}: {path} is missing (record it with --target local --record)"
        )
    recording = load_file(path)
    if recording.test != nodeid:
        raise RecordingError(f"recording {path} is of {recording.test}, not of {nodeid}: it replays nothing of this "
                             "test (re-record it)")
    return recording


def load_file(path: Path) -> Recording:
    try:
        document = yamltext.load(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"not a format-{FORMAT} recording")
        return Recording(
            test=str(document["test"]),
            namespace=str(document["namespace"]),
            interactions=[Interaction.from_yaml(item) for item in document["interactions"] or []],
        )
    except (OSError, yaml.YAMLError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RecordingError(f"corrupt recording {path}: {reason}") from None


def read_meta(root: Path) -> dict[str, Any]:
    path = root / META_FILE
    if not path.is_file():
        raise RecordingError(f"no recordings at {root}: {path} is missing")
    try:
        meta = yamltext.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RecordingError(f"corrupt recording {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RecordingError(f"corrupt recording {path}: not a format-{FORMAT} recording")
    return meta


def write_meta(root: Path, meta: dict[str, Any]) -> None:
    _write(root / META_FILE, yamltext.dump({"format": FORMAT, **meta}, sort_keys=True, allow_unicode=True))


def write_published(root: Path, document: dict[str, Any]) -> None:
    """What the gateway published as its own description when recorded (drift compares two)."""
    _write(root / PUBLISHED_FILE, yamltext.dump(document, sort_keys=False, allow_unicode=True))


def read_published(root: Path) -> dict[str, Any] | None:
    """The description recorded beside the recording, ``None`` when none was (stub, off, absent)."""
    path = root / PUBLISHED_FILE
    if not path.is_file():
        return None
    try:
        document = yamltext.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RecordingError(f"corrupt recording {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(document, dict):
        raise RecordingError(f"corrupt recording {path}: not a mapping")
    return document


class Recorder:
    """Collects every exchange of one test (an observer of the client's session)."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.interactions: list[Interaction] = []

    def __call__(self, response: requests.Response) -> None:
        self.interactions.append(Interaction.capture(response, self.api_url))

    def failed(self, request: requests.PreparedRequest, failure: GatewayMisbehaved) -> None:
        self.interactions.append(Interaction.capture_failure(request, failure, self.api_url))


def replay(recording: Recording, api_url: str = STUB_API_URL) -> responses.RequestsMock:
    """A ``responses`` mock that answers the recorded exchanges, in order, and nothing else.

    Each request must match the next recorded one: method, URL, Authorization (the placeholder
    stands for the token) and JSON body. Anything else is answered with a connection error that
    says what was expected.
    """
    # Not asserted by the mock itself on exit (its AssertionError would name no test): the plugin
    # fails the test with the first exchange it did not make (:func:`unfired`).
    mock = responses.RequestsMock(assert_all_requests_are_fired=False, registry=OrderedRegistry)
    for interaction in recording.interactions:
        match = [matchers.header_matcher({name: interaction.request_headers[name]}) if name in
                 interaction.request_headers else _absent_header(name) for name in ("Authorization",)]
        if interaction.request_body is not None:
            match.append(_json_body(interaction.request_body))
        if interaction.failure is not None:
            mock.add(interaction.method, api_url + interaction.path, match=match,
                     body=ReplayedFailure(interaction.failure, str(interaction.response_body)))
            continue
        body = (json.dumps(interaction.response_body) if interaction.json_body
                else str(interaction.response_body))
        headers = {**interaction.response_headers, ELAPSED_HEADER: str(interaction.elapsed_ms)}
        content_type = headers.pop("Content-Type", headers.pop("content-type", "")) or None
        mock.add(
            interaction.method,
            api_url + interaction.path,
            body=body,
            status=interaction.status,
            headers=headers,
            content_type=content_type,
            match=match,
        )
    return mock


def reads_again(mock: responses.RequestsMock, response: requests.Response) -> bool:
    """Whether the next exchange of a replay is the same read again (a read the recorded run settled by repeating)."""
    following = mock.registered()
    return bool(following) and following[0].method == response.request.method \
        and following[0].url == response.request.url


def _timeless(value: Any) -> Any:
    """``value`` without the moment of creation the client writes into a description: it differs on
    every run, like a Date header."""
    if isinstance(value, str):
        return CREATED_AT.sub(CREATED_BY + "<time>", value)
    if isinstance(value, dict):
        return {key: _timeless(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_timeless(item) for item in value]
    return value


def _json_body(expected: Any) -> Any:
    """The request's JSON body must be the recorded one, but for the moment of creation."""

    def matcher(request: requests.PreparedRequest) -> tuple[bool, str]:
        raw = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        try:
            sent = json.loads(raw)
        except ValueError:
            return False, f"the body is not JSON: {raw[:100]!r}"
        sent, recorded = _timeless(sent), _timeless(expected)
        if sent == recorded:
            return True, ""
        if isinstance(sent, dict) and isinstance(recorded, dict):
            key = next(key for key in sorted({*sent, *recorded}) if sent.get(key) != recorded.get(key))
            return False, f"the JSON body's {key!r} is {sent.get(key)!r}; the recording has {recorded.get(key)!r}"
        return False, f"the JSON body differs from the recorded one: {json.dumps(sent)[:200]}"

    return matcher


def _absent_header(name: str) -> Any:
    def matcher(request: requests.PreparedRequest) -> tuple[bool, str]:
        present = name in request.headers
        return (not present, f"{name} was sent, the recording has none" if present else "")

    return matcher


def restore_elapsed(response: requests.Response) -> None:
    """Session observer for replay: the response took as long as it did when recorded.

    The session measured the replay itself (microseconds); this runs after it, so it has the last word.
    """
    recorded = response.headers.pop(ELAPSED_HEADER, None)
    if recorded is not None:
        response.elapsed = timedelta(milliseconds=int(recorded))


def unfired(mock: responses.RequestsMock) -> list[str]:
    """The recorded exchanges a replay has not been asked for yet, as ``METHOD URL``."""
    return [f"{response.method} {response.url}" for response in mock.registered()]
