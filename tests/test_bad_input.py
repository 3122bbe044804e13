"""Bad input to the suite ends the run with one clear line and runs no test."""

from __future__ import annotations

import re

import pytest

from tests.conftest import TOKEN, RunSuite, live

SUITE = "contracts/scenarios"


def assert_one_clear_error(run_output: str, *expected: str) -> None:
    assert "Traceback" not in run_output, run_output
    assert not re.search(r"\d+ (passed|failed|error)", run_output), f"tests ran:\n{run_output}"
    lines = [line for line in run_output.splitlines() if all(part in line for part in expected)]
    assert len(lines) == 1, f"expected one line naming {expected}:\n{run_output}"


def test_an_unreachable_base_url_ends_the_run_at_preflight(run_suite: RunSuite) -> None:
    run = run_suite(SUITE, *live("http://127.0.0.1:9"), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 4
    assert_one_clear_error(run.output, "preflight", "http://127.0.0.1:9/apiops", "connection failed")


def test_a_refused_token_ends_the_run_at_preflight(run_suite: RunSuite, gateway_url: str) -> None:
    run = run_suite(SUITE, *live(gateway_url), env={"APIOPS_TOKEN": "not-the-gateways-token"})
    assert run.returncode == 4
    assert_one_clear_error(run.output, "preflight", gateway_url, "401", "token")
    assert "not-the-gateways-token" not in run.output


def test_an_unknown_project_ends_the_run_at_preflight(run_suite: RunSuite, gateway_url: str) -> None:
    args = ("--target", "live", "--base-url", gateway_url, "--project", "NoSuchProject")
    run = run_suite(SUITE, *args, env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 4
    assert_one_clear_error(run.output, "preflight", "404", "'NoSuchProject'")


def test_a_live_target_without_a_token_is_one_clear_error(run_suite: RunSuite, gateway_url: str) -> None:
    run = run_suite(SUITE, *live(gateway_url))
    assert run.returncode == 4
    assert_one_clear_error(run.output, "APIOPS_TOKEN")


def test_an_unknown_target_name_is_one_clear_error(run_suite: RunSuite) -> None:
    run = run_suite(SUITE, "--target", "staging")
    assert run.returncode == 4
    assert_one_clear_error(run.output, "--target", "invalid choice")


@pytest.mark.parametrize("url", ["gateway.example.com", "ftp://gateway.example.com"])
def test_a_base_url_that_is_not_http_is_one_clear_error(run_suite: RunSuite, url: str) -> None:
    run = run_suite(SUITE, *live(url), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 4
    assert_one_clear_error(run.output, "--base-url", "http(s)")
