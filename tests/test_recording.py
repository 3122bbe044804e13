"""The recording format: readable, stable, secret-free, and faithful on replay."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests
import responses

from contracts import recording
from contracts.client import ApiClient
from contracts.http.answer import leaks
from contracts.naming import Namespace
from contracts.recording import Interaction, Recorder, Recording, RecordingError
from contracts.redaction import PLACEHOLDER, Secret, register

API = "http://gateway.invalid/apiops"
TOKEN = Secret("recording-test-token-42b8e1")
register(TOKEN)
USER = "/projects/P/credentials/apiops-ct-abc123-u/"


def client(token: Secret = TOKEN) -> ApiClient:
    return ApiClient(API, token, Namespace("abc123"), projects={"P"})


def replayer() -> ApiClient:
    """As --target stub sends: the placeholder is the token."""
    return client(Secret(PLACEHOLDER))


def record_one(method: str, path: str, status: int, body: object, **headers: str) -> Interaction:
    recorder = Recorder(API)
    sender = client()
    sender.session.observers.append(recorder)
    with responses.RequestsMock() as mocked:
        mocked.add(method, API + path, json=body, status=status, headers=headers)
        sender.request(method, path)
    (interaction,) = recorder.interactions
    return interaction


def test_a_recording_names_the_file_after_the_module_and_the_test() -> None:
    nodeid = "contracts/scenarios/test_delete_credential.py::test_x[a b/c]"
    path = recording.path_for(Path("/r"), nodeid)
    assert path == Path("/r/scenarios/test_delete_credential/test_x[a-b-c].yaml")


def test_the_token_is_replaced_by_the_placeholder_before_anything_is_written(tmp_path: Path) -> None:
    echoed = {"error": "unauthorized_client", "error_description": f"bad {TOKEN.reveal()}"}
    interaction = record_one("DELETE", USER, 401, echoed, **{"X-Echo": TOKEN.reveal()})
    written = recording.write(tmp_path, Recording("contracts/scenarios/test_m.py::test_t", "ns-", [interaction]))
    text = written.read_text()
    assert TOKEN.reveal() not in text
    assert f"Bearer {PLACEHOLDER}" in text
    assert PLACEHOLDER in interaction.response_body["error_description"]  # an echo stays visible


def test_volatile_headers_are_dropped_so_two_recordings_diff_cleanly() -> None:
    interaction = record_one("GET", "/projects/", 200, {"status": "SUCCESS"},
                             Date="Sun, 29 Nov 2026 00:00:00 GMT", Server="uvicorn", Allow="GET")
    assert "Date" not in interaction.response_headers and "Server" not in interaction.response_headers
    assert interaction.response_headers["Allow"] == "GET"


def test_a_recording_round_trips_and_replays_in_order(tmp_path: Path) -> None:
    first = record_one("DELETE", USER, 200, {"success": True})
    second = record_one("DELETE", USER, 400, {"error": "bad_request"})
    nodeid = "contracts/scenarios/test_m.py::test_t"
    recording.write(tmp_path, Recording(nodeid, "ns-", [first, second]))
    loaded = recording.read(tmp_path, nodeid)
    assert loaded.interactions == [first, second]
    sender = replayer()
    with recording.replay(loaded, API):
        statuses = [sender.request("DELETE", USER).status_code for _ in range(2)]
    assert statuses == [200, 400]


def test_a_request_that_was_not_recorded_is_not_answered(tmp_path: Path) -> None:
    interaction = record_one("DELETE", USER, 200, {"success": True})
    with recording.replay(Recording("t", "ns-", [interaction]), API), pytest.raises(requests.ConnectionError):
        requests.delete(API + "/projects/P/credentials/someone-else/",
                        headers={"Authorization": f"Bearer {PLACEHOLDER}"})


def test_a_missing_recording_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="test_nothing.yaml is missing"):
        recording.read(tmp_path, "contracts/scenarios/test_m.py::test_nothing")


@pytest.mark.parametrize("content", ["interactions: [", "format: 1\n", "- just a list\n", "format: 99\n"])
def test_a_corrupt_recording_is_one_error_naming_the_file(tmp_path: Path, content: str) -> None:
    nodeid = "contracts/scenarios/test_m.py::test_t"
    path = recording.path_for(tmp_path, nodeid)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(RecordingError, match=f"corrupt recording {path}"):
        recording.read(tmp_path, nodeid)


def test_a_replayed_response_takes_as_long_as_the_recorded_one() -> None:
    slow = record_one("DELETE", USER, 200, {"success": True})
    slow.elapsed_ms = 1500
    sender = replayer()
    sender.session.observers.append(recording.restore_elapsed)
    with recording.replay(Recording("t", "ns-", [slow]), API):
        response = sender.request("DELETE", USER)
    assert response.elapsed.total_seconds() == 1.5
    assert recording.ELAPSED_HEADER not in response.headers


def test_a_recording_of_another_test_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """docs/recordings.md: each recording names its test; replaying it for another test is refused."""
    interaction = record_one("DELETE", USER, 200, {"success": True})
    path = recording.write(tmp_path, Recording("contracts/scenarios/test_m.py::test_other", "ns-", [interaction]))
    path.rename(recording.path_for(tmp_path, "contracts/scenarios/test_m.py::test_t"))
    with pytest.raises(RecordingError, match=r"test_t\.yaml is of contracts/scenarios/test_m.py::test_other"):
        recording.read(tmp_path, "contracts/scenarios/test_m.py::test_t")


def test_a_recorded_exchange_the_replay_did_not_make_is_named() -> None:
    first = record_one("DELETE", USER, 200, {"success": True})
    second = record_one("DELETE", USER, 400, {"error": "bad_request"})
    with recording.replay(Recording("t", "ns-", [first, second]), API) as mock:
        replayer().request("DELETE", USER)
        assert recording.unfired(mock) == [f"DELETE {API}{USER}"]


@pytest.mark.parametrize("encode", [
    lambda token: json.dumps(token).replace("/", "\\/").replace("=", "\\u003d").replace("+", "\\u002b"),
    lambda token: quote(token, safe=""),
    lambda token: quote_plus(token),
    lambda token: base64.b64encode(f"Bearer {token}".encode()).decode(),
    lambda token: token[:14],
], ids=["json-escaped", "quote", "quote-plus", "base64-of-the-header", "truncated"])
def test_a_token_echoed_in_any_encoding_never_reaches_a_recording(tmp_path: Path, encode: Any) -> None:
    """docs/secrets.md: scrubbed when the answer arrives, and again before anything is written."""
    token = Secret('rec/ording+tok=en"with\\odd chars-0123456789abcdef')
    register(token)
    sender = ApiClient(API, token, Namespace("abc123"), projects={"P"})
    recorder = Recorder(API)
    sender.session.observers.append(recorder)
    echo = encode(token.reveal())
    with responses.RequestsMock() as mocked:
        mocked.add("DELETE", API + USER, body=f'{{"error":"unauthorized_client","error_description":"{echo}"}}',
                   status=401, headers={"X-Echo": echo}, content_type="application/json")
        response = sender.request("DELETE", USER)
    assert leaks(response) == ["body", "header X-Echo"]
    written = recording.write(tmp_path, Recording("contracts/scenarios/test_m.py::test_t", "ns-",
                                                   recorder.interactions)).read_text()
    # Not the echo, nor either end of it (a scrub that found only part of it would leave one); base64's
    # end groups also encode the bytes around the token, so for it the middle must be gone.
    middle = len(echo) // 2
    assert echo[middle - 6:middle + 6] not in written and token.reveal()[:12] not in written
    if not echo.endswith("="):
        assert echo[:12] not in written and echo[-12:] not in written
