"""Each fault's answers judged at unit level, straight through the judge, in milliseconds (issue 22).

The answers are those of test_gateway_model's fixed probe (a series of requests to a seeded gateway), made whole as
the client makes them (contracts/http/answer.py: echoed tokens found and scrubbed, the token shown as the
placeholder), then handed to :meth:`Judge.verdicts`, the per-answer checks of the rulebook. What this proves for
every fault whose broken rules include a per-answer one: the judge alone names one of them, and never a rule the
fault does not break. tests/test_faults.py still proves the whole suite catches every fault, live and on replay;
the rules only a scenario sees (a delete that does not delete) and what the transport catches before any verdict
(a redirect, a body too slow or too big) are proven there.
"""

from __future__ import annotations

import pytest
import requests

from contracts import editions, rules
from contracts.gateway.faults import FAULTS
from contracts.http.answer import settle
from contracts.judge import Judge
from contracts.redaction import PLACEHOLDER
from contracts.spec import load
from tests.test_gateway_model import AUTH, probe_exchanges

EDITION = editions.base()  # the probe's gateway speaks the base edition
BUDGET = 1.0  # the suite's --max-response-time in the self-tests (tests/test_faults.py)
# Faults judged by answers: not a delay (the time budget, proven end to end), not one that only changes how an
# answer travels (the transport refuses it before any verdict).
JUDGED = [name for name, fault in FAULTS.items() if fault.applies(EDITION) and not fault.delay and not fault.wire_only]


def as_the_client_sees_them(answers: list[requests.Response]) -> list[requests.Response]:
    for response in answers:
        settle(response, response.content, response.elapsed.total_seconds())
        if response.request.headers.get("Authorization") == AUTH["Authorization"]:
            response.request.headers["Authorization"] = f"Bearer {PLACEHOLDER}"  # as the session hands it back
    return answers


def verdicts(faults: list[str]) -> tuple[dict[str, str], bool]:
    """The rules the judge finds broken in the probe's answers (rule id: first problem), and whether an answer was a
    redirect (the session refuses those before the judge sees them)."""
    server, answers = probe_exchanges(faults)
    server.stop()
    judge = Judge(load(EDITION), BUDGET, api_path="/apiops", edition=EDITION)
    failed: dict[str, str] = {}
    redirected = False
    for response in as_the_client_sees_them(answers):
        if response.is_redirect:
            redirected = True
            continue
        if judge.judged(response):
            for rule, problems in judge.verdicts(response):
                if problems:
                    failed.setdefault(rule.id, problems[0])
    return failed, redirected


def test_the_clean_gateways_answers_break_no_rule() -> None:
    assert verdicts([]) == ({}, False)


@pytest.mark.parametrize("name", JUDGED)
def test_the_judge_alone_names_a_rule_the_fault_breaks_and_no_other(name: str) -> None:
    fault = FAULTS[name]
    failed, redirected = verdicts([name])
    assert set(failed) <= set(fault.breaks), f"{name} is blamed on rules it does not break: {failed}"
    per_answer = [rule_id for rule_id in fault.breaks if rules.RULES[rule_id].check is not None]
    if per_answer and not redirected:
        assert set(failed) & set(per_answer), f"{name} breaks {per_answer}, which the judge did not see: {failed}"
