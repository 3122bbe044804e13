"""Bad input to the suite ends the run with one clear line, exit 4, before any test and with no traceback,
whatever the target."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TOKEN, Handler, RunSuite, assert_exit, live

SUITE = "contracts/scenarios"


def assert_one_clear_error(run_output: str, *expected: str) -> None:
    assert "Traceback" not in run_output and "INTERNALERROR" not in run_output, run_output
    assert not re.search(r"\d+ (passed|failed|error)", run_output), f"tests ran:\n{run_output}"
    lines = [line for line in run_output.splitlines() if all(part in line for part in expected)]
    assert len(lines) == 1, f"expected one line naming {expected}:\n{run_output}"


# -- settings: one line, every target ------------------------------------------------------------------------
@pytest.mark.parametrize("args, env, says", [
    (("--target", "staging"), {}, ("--target", "invalid choice")),
    (("--target", "live", "--base-url", "gateway.example.com", "--project", "P"), {"APIOPS_TOKEN": TOKEN},
     ("--base-url", "http(s)")),
    (("--target", "live", "--base-url", "ftp://gateway.example.com", "--project", "P"), {"APIOPS_TOKEN": TOKEN},
     ("--base-url", "http(s)")),
    (("--target", "live", "--base-url", "https://admin:hunter2@gateway.example.com", "--project", "P"),
     {"APIOPS_TOKEN": TOKEN}, ("--base-url must not hold a user name or password",)),
    (("--target", "live", "--project", "P"), {"APIOPS_TOKEN": TOKEN}, ("--base-url",)),
    (("--target", "live", "--base-url", "https://gateway.example.com", "--project", "P"), {}, ("APIOPS_TOKEN",)),
    (("--target", "live", "--base-url", "https://gateway.example.com"), {"APIOPS_TOKEN": TOKEN}, ("--project",)),
    (("--target", "live", "--base-url", "https://gw.example.com", "--project", "P"), {"APIOPS_TOKEN": "tøken✓"},
     ("APIOPS_TOKEN cannot be sent", "outside latin-1")),
    (("--target", "live", "--base-url", "https://gw.example.com", "--project", "P"), {"APIOPS_TOKEN": "to\nken"},
     ("APIOPS_TOKEN cannot be sent", "control character")),
    (("--target", "local", "--project", ".."), {}, ("--project '..'", "dot segment")),
    (("--target", "local", "--project", "."), {}, ("--project '.'", "dot segment")),
    (("--target", "local", "--api-proxy", "my/api"), {}, ("--api-proxy 'my/api'", "one path segment")),
    ((), {"APIOPS_RUN_ID": "Not-A-Run-Id"}, ("APIOPS_RUN_ID must be 6-24 lowercase letters or digits",)),
    (("--target", "local"), {"APIOPS_RUN_ID": "x"}, ("APIOPS_RUN_ID must be 6-24 lowercase letters or digits",)),
    (("--hypothesis-profile", "nosuch"), {}, ("--hypothesis-profile 'nosuch'", "dev, ci, staging, thorough")),
    (("--request-timeout", "inf"), {}, ("--request-timeout must be a positive, finite number", "'inf'")),
    (("--request-timeout", "nan"), {}, ("--request-timeout must be a positive, finite number", "'nan'")),
    (("--request-timeout", "0"), {}, ("--request-timeout must be a positive, finite number", "'0'")),
    (("--max-response-time", "-1"), {}, ("--max-response-time must be a positive, finite number",)),
    ((), {"APIOPS_TIMEOUT": "soon"}, ("--request-timeout must be a positive, finite number", "'soon'")),
    (("--rules", "documented,folklore"), {}, ("--rules takes classes out of documented, reading, convention",)),
    (("--record",), {}, ("--record needs a gateway to record from",)),
    (("--target", "live", "--base-url", "https://gw.example.com", "--project", "P", "--record"),
     {"APIOPS_TOKEN": TOKEN}, ("--record on a live target needs --recordings DIR",)),
    (("--baseline", "contracts/recordings"), {}, ("--baseline compares a live or local run",)),
], ids=["unknown-target", "url-without-scheme", "url-not-http", "url-with-user-info", "live-without-url",
        "live-without-token", "live-without-project", "token-not-latin-1", "token-with-newline", "dot-dot-project",
        "dot-project", "proxy-with-space", "bad-run-id-on-stub", "bad-run-id-on-local", "unknown-hypothesis-profile",
        "infinite-timeout", "nan-timeout", "zero-timeout", "negative-budget", "timeout-from-env", "unknown-rule-class",
        "record-from-stub", "record-live-without-recordings", "baseline-on-stub"])
def test_a_bad_setting_is_one_clear_line_and_exit_4(
    run_suite: RunSuite, args: tuple[str, ...], env: dict[str, str], says: tuple[str, ...]
) -> None:
    run = run_suite(SUITE, *args, env=env)
    assert_exit(run, 4)
    assert_one_clear_error(run.output, *says)
    assert "hunter2" not in run.output and TOKEN not in run.output


@pytest.mark.parametrize("option", ["--recordings", "--baseline"])
@pytest.mark.parametrize("kind", ["missing", "a-file"])
def test_a_recordings_or_baseline_directory_that_is_not_one_is_one_clear_line(
    run_suite: RunSuite, tmp_path: Path, option: str, kind: str
) -> None:
    path = tmp_path / "nowhere"
    if kind == "a-file":
        path.write_text("not a directory")
    run = run_suite(SUITE, "--target", "local" if option == "--baseline" else "stub", option, str(path))
    assert_exit(run, 4)
    assert_one_clear_error(run.output, option, str(path))


def test_a_deviations_file_that_does_not_exist_is_one_clear_line(run_suite: RunSuite, tmp_path: Path) -> None:
    run = run_suite(SUITE, "--deviations", str(tmp_path / "nowhere.yaml"))
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "--deviations", "nowhere.yaml", "cannot read it")


# -- preflight: every name checked before any test ---------------------------------------------------------------------
def test_an_unreachable_base_url_ends_the_run_at_preflight(run_suite: RunSuite) -> None:
    run = run_suite(SUITE, *live("http://127.0.0.1:9"), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", "http://127.0.0.1:9/apiops", "connection failed")


def test_a_refused_token_ends_the_run_at_preflight(run_suite: RunSuite, gateway_url: str) -> None:
    run = run_suite(SUITE, *live(gateway_url), env={"APIOPS_TOKEN": "not-the-gateways-token"})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", gateway_url, "401", "token")
    assert "not-the-gateways-token" not in run.output


def test_an_unknown_project_ends_the_run_at_preflight_listing_the_visible_ones(
        run_suite: RunSuite, gateway_url: str) -> None:
    args = ("--target", "live", "--base-url", gateway_url, "--project", "NoSuchProject")
    run = run_suite(SUITE, *args, env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", "404", "'NoSuchProject'",
                           "the projects this token can see: EmptyProject, MyProject, OtherProject")


def test_a_host_name_that_does_not_resolve_is_told_from_a_refused_connection(run_suite: RunSuite) -> None:
    run = run_suite(SUITE, *live("http://no-such-host.invalid"), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", "'no-such-host.invalid' does not resolve")
    closed = run_suite(SUITE, *live("http://127.0.0.1:9"), env={"APIOPS_TOKEN": TOKEN})
    assert_one_clear_error(closed.output, "preflight", "refused")


def test_a_bad_setting_is_said_once_also_where_the_header_is_printed(run_suite: RunSuite) -> None:
    """Without -q pytest prints the report header, which used to repeat the bad setting's line."""
    run = run_suite(SUITE, "-v", "--target", "live", "--base-url", "ftp://gateway.example.com", "--project", "P",
                    env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "--base-url", "http(s)")


@pytest.mark.parametrize("api_proxy, says", [
    ("NoSuchProxy", ("--api-proxy 'NoSuchProxy' is not an API proxy of project 'MyProject'", "MyAPI")),
    ("MyAPIGroup", ("--api-proxy 'MyAPIGroup' is an API proxy group",)),
], ids=["unknown", "a-group"])
def test_an_api_proxy_the_project_does_not_have_ends_the_run_at_preflight(
    run_suite: RunSuite, gateway_url: str, api_proxy: str, says: tuple[str, ...]
) -> None:
    """list-api-proxies.md and list-api-proxy-groups.md, before a scenario reads it as a gateway bug."""
    run = run_suite(SUITE, *live(gateway_url, "--api-proxy", api_proxy), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", *says)


def test_an_other_project_the_token_cannot_see_ends_the_run_at_preflight(run_suite: RunSuite, gateway_url: str) -> None:
    run = run_suite(SUITE, *live(gateway_url, "--other-project", "Elsewhere"), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", "--other-project 'Elsewhere' is not among the")


LOGIN_PAGE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 27\r\n\r\n<html><h1>Login</h1></html>"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found"
NOT_JSON = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"


@pytest.mark.parametrize("answer, says", [
    (LOGIN_PAGE, ("with an HTML page, not the Management API's JSON",)),
    (NOT_FOUND, ("404 without the API's error format: no Management API there",)),
    (NOT_JSON, ("with a body that is not JSON",)),
], ids=["html-login-page", "wrong-path", "not-json"])
def test_a_base_url_that_does_not_answer_like_a_management_api_says_so(
    run_suite: RunSuite, raw_server: Callable[[Handler], str], answer: bytes, says: tuple[str, ...]
) -> None:
    url = raw_server(lambda connection: connection.sendall(answer))
    run = run_suite(SUITE, *live(url), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", *says)


def test_https_to_a_plain_http_gateway_says_it_does_not_speak_tls(run_suite: RunSuite, gateway_url: str) -> None:
    run = run_suite(SUITE, *live(gateway_url.replace("http://", "https://")), env={"APIOPS_TOKEN": TOKEN})
    assert_exit(run, 4)
    assert_one_clear_error(run.output, "preflight", "does not speak TLS", "http://")
    assert "REQUESTS_CA_BUNDLE" not in run.output
