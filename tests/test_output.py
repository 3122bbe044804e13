"""What a person reads on the terminal: a green run is short, ``-v`` names each test's rules, and a property test
whose generated cases failed is not also reported as passed (issue 23)."""

from __future__ import annotations

import re
from collections.abc import Callable

from contracts import rules
from tests.conftest import TOKEN, RunSuite, live

GREEN_LINES = 20  # non-empty lines of a green live run without -v, pytest's own header included


def test_a_green_live_run_prints_at_most_twenty_lines(run_suite: RunSuite,
                                                       gateway_factory: Callable[..., str]) -> None:
    """The published description and the stack's own answers are one line each on a green run; a pinned edition
    is named once, in the header."""
    # run_suite says -q; a person runs without it (--verbosity=0 undoes it), pytest's header included.
    run = run_suite(*live(gateway_factory(edition="2026-08"), "--api-proxy", "MyAPI", "--edition", "2026-08"),
                    "--verbosity=0", "-p", "no:randomly", env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 0, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) <= GREEN_LINES, "\n".join(lines)
    assert sum("apiops edition" in line for line in lines) == 1, "\n".join(lines)


def test_verbose_lines_name_the_rules_each_test_verifies(run_suite: RunSuite,
                                                         gateway_factory: Callable[..., str]) -> None:
    """``pytest -v`` shows each rule's id beside its test, the property test's rules included."""
    run = run_suite(*live(gateway_factory(), "--api-proxy", "MyAPI"), "--verbosity=1", env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 0, run.output[-3000:]
    shown = {rule for match in re.finditer(r" PASSED \[([^\]]+)\]", run.output) for rule in match[1].split(", ")}
    assert shown, run.output[-3000:]
    assert shown <= set(rules.RULES)
    assert "every-answer-is-documented" in shown and "undeclared-methods-are-not-allowed" in shown, shown


def test_a_property_test_whose_generated_cases_failed_is_not_also_reported_passed(
        run_suite: RunSuite, gateway_factory: Callable[..., str]) -> None:
    """Against a gateway that labels every answer text/plain, the schema-driven test's case fails (SUBFAILED) and
    the test itself fails with it, naming the broken rules, instead of a PASSED line after the SUBFAILED one."""
    run = run_suite("contracts/properties/test_delete_credential_properties.py::"
                    "test_any_generated_request_is_answered_as_documented",
                    *live(gateway_factory("text-plain"), "--api-proxy", "MyAPI"), "--verbosity=1", "-rf",
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-3000:]
    assert re.search(r"::test_any_generated_request_is_answered_as_documented\[.*\] SUBFAILED", run.output)
    assert not re.search(r"::test_any_generated_request_is_answered_as_documented PASSED", run.output), \
        run.output[-3000:]
    assert re.search(r"::test_any_generated_request_is_answered_as_documented FAILED", run.output)
    assert "[every-answer-is-documented" in run.output and "generated case(s) failed" in run.output
