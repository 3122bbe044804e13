"""A run the plugin stops (bad input, a failed preflight, a namespace that is not the run's alone) ends in
its one ``apiops:`` line, exit 4, and none of pytest's ``Exit`` wrapper (README: one line, exit 4)."""

from __future__ import annotations

import pytest

from tests.conftest import TOKEN, RunSuite, live

SUITE = "contracts/scenarios"


def assert_exactly_the_apiops_line(output: str, line: str) -> None:
    assert "_pytest.outcomes.Exit" not in output and "Exit:" not in output, output
    assert line in output.splitlines(), output  # the line as it is, not inside "! ... !"
    assert sum("apiops:" in shown for shown in output.splitlines()) == 1, output


@pytest.mark.parametrize("args, env, line", [
    (("--request-timeout", "0"), {},
     "apiops: --request-timeout must be a positive, finite number of seconds, got '0'"),
    (live("http://127.0.0.1:9"), {"APIOPS_TOKEN": TOKEN},
     "apiops: preflight: cannot reach the gateway: GET http://127.0.0.1:9/apiops/projects/MyProject/credentials/: "
     "connection failed: the host refused or dropped it (is the gateway up, on that port?)"),
], ids=["bad-setting", "failed-preflight"])
def test_a_stopped_run_prints_only_its_apiops_line_with_exit_4(
    run_suite: RunSuite, args: tuple[str, ...], env: dict[str, str], line: str
) -> None:
    run = run_suite(SUITE, *args, env=env)
    assert run.returncode == 4, run.output[-2000:]
    assert_exactly_the_apiops_line(run.output, line)
