"""Rate limits are honoured (README: Behind a proxy): a 429, or a 503 with ``Retry-After``, is waited out
within the request's deadline and a run-wide budget; a 429 is sent again (RFC 6585: the limiter did not pass
the request on), a 503 only to a read; nothing else is retried; ``--rate-limit`` paces every request."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

from contracts.client import ApiClient
from contracts.naming import Namespace
from contracts.secrets import Secret
from tests.conftest import Handler, RunSuite

SUITE = "contracts/scenarios"
NAMESPACE = Namespace("abc123")
USERNAME = NAMESPACE.name("limited")
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"status\":\"SUCCESS\"}"


def limited(status: int, retry_after: str | None) -> bytes:
    header = f"Retry-After: {retry_after}\r\n" if retry_after is not None else ""
    return (f"HTTP/1.1 {status} Limited\r\nContent-Type: text/html\r\n{header}Content-Length: 6\r\n"
            "Connection: close\r\n\r\n<html>").encode()


class Scripted:
    """Answers each request with the next scripted answer (the last one over and over); counts them."""

    def __init__(self, *answers: bytes) -> None:
        self.answers, self._lock = list(answers), threading.Lock()
        self.times: list[float] = []

    def __call__(self, connection: socket.socket) -> None:
        with self._lock:
            self.times.append(time.monotonic())
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        connection.sendall(answer)


def client(url: str, *, timeout: float = 10.0, rate_limit: float | None = None) -> ApiClient:
    return ApiClient(url + "/apiops", Secret("rate-limit-test-token-1234"), NAMESPACE, projects={"MyProject"},
                     timeout=timeout, rate_limit=rate_limit)


def test_a_delete_answered_429_is_sent_again_after_retry_after_and_its_answer_is_the_last_one(
    raw_server: Callable[[Handler], str]
) -> None:
    """RFC 6585 4: a 429 answers for the limiter, which did not pass the request on; Retry-After is honoured."""
    script = Scripted(limited(429, "1"), OK)
    started = time.monotonic()
    response = client(raw_server(script)).delete_credential("MyProject", USERNAME)
    assert response.status_code == 200
    assert len(script.times) == 2 and script.times[1] - script.times[0] >= 0.95
    assert time.monotonic() - started < 5


def test_a_429_without_retry_after_is_waited_out_with_backoff(raw_server: Callable[[Handler], str]) -> None:
    script = Scripted(limited(429, None), limited(429, None), OK)
    response = client(raw_server(script)).delete_credential("MyProject", USERNAME)
    assert response.status_code == 200 and len(script.times) == 3
    assert script.times[2] - script.times[1] > script.times[1] - script.times[0] > 0.2  # exponential


def test_a_delete_answered_503_with_retry_after_is_waited_out_but_not_sent_again(
    raw_server: Callable[[Handler], str]
) -> None:
    """A 503 may be the Manager's own, after it changed something: only a read goes again."""
    script = Scripted(limited(503, "1"), OK)
    api = client(raw_server(script))
    assert api.delete_credential("MyProject", USERNAME).status_code == 503
    assert len(script.times) == 1
    assert api.list_credentials("MyProject").status_code == 200  # the read after it waited, and went through


def test_a_read_answered_503_with_retry_after_is_sent_again(raw_server: Callable[[Handler], str]) -> None:
    script = Scripted(limited(503, "0"), OK)
    assert client(raw_server(script)).list_credentials("MyProject").status_code == 200
    assert len(script.times) == 2


def test_a_500_or_a_503_without_retry_after_is_never_sent_again(raw_server: Callable[[Handler], str]) -> None:
    script = Scripted(limited(503, None), OK)
    assert client(raw_server(script)).delete_credential("MyProject", USERNAME).status_code == 503
    assert len(script.times) == 1


def test_a_wait_beyond_the_requests_deadline_is_not_waited_and_the_429_is_the_answer(
    raw_server: Callable[[Handler], str]
) -> None:
    script = Scripted(limited(429, "60"), OK)
    started = time.monotonic()
    assert client(raw_server(script), timeout=3).delete_credential("MyProject", USERNAME).status_code == 429
    assert len(script.times) == 1 and time.monotonic() - started < 2


def test_the_run_wide_budget_bounds_the_waiting(raw_server: Callable[[Handler], str]) -> None:
    script = Scripted(limited(429, "1"))
    api = client(raw_server(script))
    api.session.rate_limit.budget = 2.5
    assert api.delete_credential("MyProject", USERNAME).status_code == 429
    assert api.list_credentials("MyProject").status_code == 429
    assert api.session.rate_limit.waited <= 2.5 and len(script.times) == 4  # 2 waits, then 1 s did not fit


def test_rate_limit_paces_every_request_up_front(raw_server: Callable[[Handler], str]) -> None:
    script = Scripted(OK)
    api = client(raw_server(script), rate_limit=10)
    api.concurrently([lambda: api.list_credentials("MyProject") for _ in range(11)])
    assert script.times[-1] - script.times[0] >= 0.95  # 11 requests at 10/s: 10 intervals, threads or not


def test_once_limited_the_session_paces_itself(raw_server: Callable[[Handler], str]) -> None:
    script = Scripted(limited(429, "0"), OK)
    api = client(raw_server(script))
    assert api.session.rate_limit.rate is None
    api.list_credentials("MyProject")
    assert api.session.rate_limit.rate is not None and api.session.rate_limit.limited == 1


@pytest.mark.parametrize("value", ["fast", "0/s", "-3", "inf", "10/min"])
def test_a_bad_rate_limit_is_one_line_and_exit_4(run_suite: RunSuite, value: str) -> None:
    run = run_suite(SUITE, "--rate-limit", value)
    assert run.returncode == 4, run.output[-2000:]
    assert [line for line in run.output.splitlines() if "--rate-limit must be" in line] == \
        [f"apiops: --rate-limit must be a positive number of requests per second, e.g. 10/s, got {value!r}"]
    assert "Traceback" not in run.output
