"""--fail-on picks the rule classes whose failures fail the run (docs/proxies.md); a failure of another
class is a warning the report shows; security rules (the token echo) fail whatever it says."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import TOKEN, RunSuite, live


@pytest.mark.parametrize("fail_on, code", [(None, 1), ("documented,convention", 0)], ids=["default", "not-reading"])
def test_a_reading_rule_fails_the_run_unless_fail_on_leaves_its_class_out_and_then_it_is_warned(
    run_suite: RunSuite, gateway_factory: Callable[..., str], fail_on: str | None, code: int
) -> None:
    """The fault delete-ignores-project breaks a-credential-is-reached-only-through-its-project, a reading rule."""
    url = gateway_factory("delete-ignores-project")
    extra = ("--fail-on", fail_on) if fail_on else ()
    run = run_suite("contracts/scenarios", *live(url), "-k", "only_through_its_own_project", *extra,
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == code, run.output[-3000:]
    assert "[a-credential-is-reached-only-through-its-project]" in run.output or fail_on, run.output[-3000:]
    if fail_on:
        section = run.output.partition("warned, not failed (--fail-on)")[2]
        assert "warned: a-credential-is-reached-only-through-its-project (reading)" in section, run.output[-3000:]


def test_the_token_echo_fails_the_run_whatever_fail_on_says(
    run_suite: RunSuite, gateway_factory: Callable[..., str]
) -> None:
    """no-answer-carries-the-token is a reading rule, and a security one: never only a warning."""
    url = gateway_factory("token-echo-body")
    run = run_suite("contracts/scenarios", *live(url), "-k", "carries_the_presented_token", "--fail-on", "documented",
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-3000:]
    assert "[no-answer-carries-the-token]" in run.output and TOKEN not in run.output


def test_a_bad_fail_on_is_one_line_and_exit_4(run_suite: RunSuite) -> None:
    run = run_suite("contracts/scenarios", "--fail-on", "documented,folklore")
    assert run.returncode == 4, run.output[-2000:]
    assert [line for line in run.output.splitlines() if "--fail-on takes classes" in line] == \
        ["apiops: --fail-on takes classes out of documented, reading, convention, comma-separated; got "
         "'documented,folklore'"]
