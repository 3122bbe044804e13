"""Every byte the run prints or writes is redacted, however it ends: a CI job cancelled (SIGTERM) in the middle of
a request under ``--full-trace`` or ``--showlocals``, a plugin that crashes, a token split across two writes, a
log record's traceback; and a token a gateway echoes in the status line's reason phrase is found (issue 28)."""

from __future__ import annotations

import contextlib
import http.client
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from contracts.gateway.server import GatewayServer
from contracts.redaction import MASK, register
from tests.conftest import ROOT, TOKEN, RunSuite, live
from tests.test_live_safety import SUITE, encodings, environment


def without_the_token(where: str, text: str) -> None:
    for form in encodings(TOKEN):
        assert form not in text, f"a form of the token ({encodings(TOKEN).index(form)}) is in {where}"


# -- a cancel in the middle of a request ---------------------------------------------------------------------------
@contextlib.contextmanager
def a_create_that_hangs() -> Iterator[tuple[GatewayServer, threading.Event, threading.Event]]:
    """A reference gateway whose first create waits until released: the run is in the middle of a request (the
    token in urllib3's frames) while it waits."""
    sent, release = threading.Event(), threading.Event()
    with GatewayServer(token=TOKEN) as server:
        create_now = server.gateway.create_credential

        def create_later(*args: Any, **kwargs: Any) -> Any:
            sent.set()
            release.wait(30)
            return create_now(*args, **kwargs)

        server.gateway.create_credential = create_later  # type: ignore[method-assign]
        try:
            yield server, sent, release
        finally:
            release.set()


def default_signals() -> None:
    """In the child: SIGINT and SIGTERM as a fresh shell gives them, whatever the parent ignores (a background job
    ignores SIGINT, and its children inherit that)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)


@pytest.mark.parametrize("flag", ["--full-trace", "--showlocals"])
def test_a_run_cancelled_by_sigterm_during_a_request_prints_and_writes_no_form_of_the_token(
        flag: str, tmp_path: Path) -> None:
    """pytest's interrupt traceback shows each frame's arguments (urllib3's ``headers`` hold the token on the wire):
    the terminal, the JUnit file, the report and the log file hold no form of it, and the run ends with one line
    saying it was cancelled."""
    junit, machine, log = tmp_path / "junit.xml", tmp_path / "report.json", tmp_path / "run.log"
    with a_create_that_hangs() as (server, sent, release):
        # One test, whose credential is created from the main thread: the interrupt's traceback goes through urllib3.
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q", SUITE,
                   "-k", "test_a_delete_without_a_valid_bearer_token_is_refused_and_deletes_nothing", *live(server.url),
                   flag,
                   "--tb=long", f"--junitxml={junit}", "--report-json", str(machine), "--log-file", str(log),
                   "--log-file-level=DEBUG", "-o", "junit_logging=all"]
        process = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
        try:
            assert sent.wait(60), "the run sent no create"
            process.send_signal(signal.SIGTERM)
            release.set()  # the gateway answers again: the clean-up after the cancel is heard
            stdout, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
    output = stdout + stderr
    without_the_token("the output", output)
    for path in (junit, machine, log):
        without_the_token(str(path.name), path.read_text(encoding="utf-8"))
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert "KeyboardInterrupt" in output, output[-3000:]  # pytest's own account of the interrupt is still there
    if flag == "--full-trace":
        assert "headers = " in output and MASK in output, output[-3000:]  # the frame that held it, redacted
    assert output.strip().splitlines()[-1].startswith("apiops: the run was cancelled (SIGTERM"), output[-3000:]


def test_a_parallel_run_cancelled_by_sigterm_ends_with_one_line_and_no_token(tmp_path: Path) -> None:
    """CI cancels a job by signalling all its processes: the xdist controller (which opens no target) and the
    workers stop cleanly, and the controller alone says the run's one line."""
    with a_create_that_hangs() as (server, sent, release):
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", SUITE, "-n", "2", "--full-trace",
                   *live(server.url)]
        process = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, preexec_fn=default_signals,
                                   start_new_session=True)  # its own process group, as a CI job's
        try:
            assert sent.wait(60), "the run sent no create"
            os.killpg(process.pid, signal.SIGTERM)
            release.set()
            stdout, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
    output = stdout + stderr
    without_the_token("the output", output)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output[-3000:]
    said = [line for line in output.splitlines() if line.startswith("apiops: the run was cancelled (SIGTERM")]
    assert len(said) == 1 and output.strip().splitlines()[-1] == said[0], output[-3000:]


# -- a token in the reason phrase ---------------------------------------------------------------------------------
@contextlib.contextmanager
def reason_phrase_echo(upstream: str) -> Iterator[str]:
    """A front door that passes every request to ``upstream`` and answers its 401s with the credential the request
    presented in the status line, as ``HTTP/1.1 401 Invalid token <token>``."""
    target = urlsplit(upstream)
    server = socket.create_server(("127.0.0.1", 0))

    def forward(connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as incoming:
            request_line = incoming.readline().decode("latin-1").split()
            headers: dict[str, str] = {}
            while (line := incoming.readline().decode("latin-1").rstrip("\r\n")):
                name, _, value = line.partition(":")
                headers[name.strip()] = value.strip()
            body = incoming.read(int(headers.get("Content-Length", "0")))
            upstream_connection = http.client.HTTPConnection(str(target.hostname), target.port, timeout=30)
            headers.pop("Connection", None)
            upstream_connection.request(request_line[0], request_line[1], body=body, headers=headers)
            answer = upstream_connection.getresponse()
            content = answer.read()
            reason = answer.reason
            if answer.status == 401:
                reason = "Invalid token " + headers.get("Authorization", "").partition(" ")[2]
            head = [f"HTTP/1.1 {answer.status} {reason}"]
            head += [f"{name}: {value}" for name, value in answer.getheaders()
                     if name.lower() not in ("content-length", "transfer-encoding", "connection")]
            head += [f"Content-Length: {len(content)}", "Connection: close"]
            connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + content)
            upstream_connection.close()

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=forward, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


def test_a_token_echoed_in_the_reason_phrase_fails_no_answer_carries_the_token(run_suite: RunSuite) -> None:
    """The scenario that sends the suite's token under another scheme gets ``401 Invalid token <token>``: the rule
    fails naming the status line's reason phrase, and the token itself is printed nowhere."""
    with GatewayServer(token=TOKEN) as server, reason_phrase_echo(server.url) as url:
        run = run_suite(SUITE, *live(url), "-k", "token", env={"APIOPS_TOKEN": TOKEN})
    without_the_token("the output", run.output)
    assert run.returncode == 1, run.output[-3000:]
    assert "[no-answer-carries-the-token]" in run.output, run.output[-3000:]
    assert "the answer carries the presented token in: the status line's reason phrase" in run.output, \
        run.output[-3000:]


# -- what bypasses the test reports -------------------------------------------------------------------------------
def test_a_plugin_that_crashes_with_the_token_in_its_message_prints_no_part_of_it(pytester: pytest.Pytester) -> None:
    """An INTERNALERROR is printed by pytest, not by a test report: it goes through the redacted output."""
    pytester.makeconftest(f'''
        from contracts.redaction import register

        register("{TOKEN}")

        def pytest_collection_modifyitems(items):
            raise RuntimeError("the gateway said Bearer {TOKEN}")
    ''')
    pytester.makepyfile("def test_nothing() -> None:\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--full-trace")
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" in output and "the gateway said Bearer" in output, output
    without_the_token("the output", output)


def test_a_token_written_in_two_pieces_is_redacted_whole() -> None:
    """The terminal writer writes a line in pieces (a frame's arguments, markup): the stream redacts a line once it
    is whole, and a piece flushed early is finished by what follows."""
    from contracts.plugin.output import RedactedStream

    register(TOKEN)
    written = io.StringIO()
    stream = RedactedStream(written)
    stream.write(f"headers = {{'Authorization': 'Bearer {TOKEN[:5]}")
    stream.write(f"{TOKEN[5:]}'}}\nprogress ")
    stream.write(TOKEN[:20])
    stream.flush()  # a flush in the middle of the token: its start is masked as a fragment, and so is its end (too
    stream.write(TOKEN[20:] + "\n")  # short to be a fragment), found with the part already out
    stream.flush()
    assert written.getvalue() == f"headers = {{'Authorization': 'Bearer {MASK}'}}\nprogress {MASK}{MASK}\n"


def test_a_log_records_traceback_holds_no_token(caplog: pytest.LogCaptureFixture) -> None:
    """``logger.exception`` formats the exception with its message at emit time, past the message's redaction."""
    register(TOKEN)
    with caplog.at_level(logging.INFO):
        try:
            raise ValueError(f"refused Bearer {TOKEN}")
        except ValueError:
            logging.getLogger("some.library").exception("the request failed")
    assert "ValueError: refused Bearer" in caplog.text
    without_the_token("the captured log", caplog.text)
