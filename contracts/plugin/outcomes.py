"""Per test: the ledger of the rules the judge saw, the rule a failure breaks (its headline), a waived or
warned rule's failure turned into a deviation, the test's record for the report, the run stopped once the
Manager is down; and the token scrubbed out of every report (what else is printed: output.py).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from contracts import report, rules
from contracts.client import CreateCapReached
from contracts.editions import Edition
from contracts.http.errors import GatewayUnreachable, UnsafeRequest
from contracts.judge import Ledger, RuleViolation, recording_into
from contracts.plugin import failures
from contracts.plugin.collection import declared
from contracts.plugin.opening import manager_url
from contracts.plugin.run import EXIT_USAGE, RULES_PROPERTY, run_of, running_target
from contracts.redaction import redact

LEDGER = pytest.StashKey[Ledger]()
OUTCOMES = pytest.StashKey[list[pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    run_of(item.config).running = item.nodeid
    if "target" not in getattr(item, "fixturenames", ()):
        return (yield)
    ledger = Ledger(item.nodeid, [rules.RULES[rule_id] for rule_id in declared(item) if rule_id in rules.RULES])
    item.stash[LEDGER] = ledger
    with recording_into(ledger):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    ledger = item.stash.get(LEDGER, None)
    if ledger is not None:
        ledger.raise_deferred()  # what the judge found and the test did not look at; the time budget
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    shown_short = failures.shown_short(item, call) if LEDGER in item.stash else None
    report_: pytest.TestReport = yield
    ledger = item.stash.get(LEDGER, None)
    if ledger is not None:
        if _stop_when_down(item, call) and call.excinfo is not None:
            # An xdist worker's test that met the Manager gone: no failure of it, as in a sequential run, where the
            # run stops before its report; the verdict is the controller's one line.
            report_.outcome, report_.longrepr = "skipped", (str(item.path), item.location[1] or 0,
                                                              "the run stopped here (see its last line)")
            return report_
        _fail_with_its_generated_cases(item, report_, ledger)
        headline = _attribute(item, call, report_, ledger)
        # The line names the broken rules (-v, short summary); travels from xdist workers.
        setattr(report_, failures.LABEL, failures.broken_rules(report_, call, ledger, declared(item)))
        failures.shorten(item, report_, ledger, _edition_of(item.config), shown_short, headline)
    _scrub(report_)
    return report_


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Generator[None, Any, Any]:
    """A failed test's line names the rules it broke: ``FAILED [rule-a]`` (-v and the short summary); with -v,
    a passed test's the rules it verifies (contracts/plugin/failures.py)."""
    return failures.labelled((yield), report, config.getoption("verbose"))


def _fail_with_its_generated_cases(item: pytest.Item, rep: pytest.TestReport, ledger: Ledger) -> None:
    """A property test whose generated cases (schemathesis' subtests, reported before it) failed has failed: it is
    not reported as passed after them. Its line names the rules they broke."""
    if rep.when != "call" or not rep.passed:
        return
    failed_cases = [earlier for earlier in item.stash.get(OUTCOMES, []) if earlier.when == "call" and earlier.failed]
    if failed_cases:
        rep.outcome = "failed"
        rep.longrepr = (f"[{', '.join(ledger.failed) or 'generated cases'}] {len(failed_cases)} generated case(s) "
                        "failed: the SUBFAILED line(s) above")


def _stop_when_down(item: pytest.Item, call: pytest.CallInfo[None]) -> bool:
    """The Manager went down (its proxy says so, or it refuses connections): one verdict naming it, exit 4,
    instead of one failure per test; the session's clean-up still runs and says what it could not check."""
    run = run_of(item.config)
    target = run.target
    if run.down is None and call.excinfo is not None and target is not None and target.kind != "stub":
        unreachable = failures.found_in(call.excinfo.value, GatewayUnreachable)
        if unreachable is not None:
            run.down = f"the Manager ({manager_url(target.api_url)}) stopped answering: {unreachable}"
            run.away = True
        capped = failures.found_in(call.excinfo.value, CreateCapReached)
        if capped is not None:
            run.down = str(capped)
    if run.down is not None:
        line = redact(f"apiops: {run.down}; the run stops here, during {item.nodeid} (the tests after it were not "
                      "run)")
        if run.worker:  # pytest.exit in a test crashes xdist's controller: this worker stops after the test instead,
            run.exit_line = run.exit_line or line  # and its controller says the line and exits 4 (Run.stopped_by)
            item.session.shouldstop = "the run stopped: its last line says why"  # xdist's ! line: not the verdict again
            return True
        pytest.exit(line, returncode=EXIT_USAGE)
    return False


def _attribute(item: pytest.Item, call: pytest.CallInfo[None], rep: pytest.TestReport, ledger: Ledger) -> str | None:
    """Name the rule a failure breaks, turn a waived one into a deviation, and leave the test's record; the
    failure's one-line form, when it fails the run on a rule."""
    run = run_of(item.config)
    headline = None
    if rep.failed and call.excinfo is not None:
        rule = _rule_of(call.excinfo.value, ledger)
        detail = call.excinfo.value.detail if isinstance(call.excinfo.value, RuleViolation) \
            else _first_line(call.excinfo.exconly())
        if rule is not None:
            if run.deviations.waived(rule.id):
                ledger.deviate(rule, detail)
                rep.outcome = "skipped"
                rep.wasxfail = f"deviation {rule.id}: {detail}"  # reported like an xfail
            elif rule.kind not in run.fail_on and not rule.security:
                # Its class is only warned about (--fail-on): seen, reported, not failing the run.
                ledger.failed.pop(rule.id, None)  # the judge's verdict, turned into the warning
                ledger.deviate(rule, detail)
                rep.outcome = "skipped"
                rep.wasxfail = f"warning {rule.id} ({rule.kind}, not in --fail-on): {detail}"
            else:
                ledger.failed.setdefault(rule.id, detail)
                answer = getattr(call.excinfo.value, "response", None)
                if answer is not None and "curl " not in ledger.failed[rule.id]:  # the report's way to send it again
                    ledger.failed[rule.id] += f"\n\n{failures.curl(answer.request)}"
                headline = _headline(rep, rule, detail, _edition_of(item.config),
                                     [other for other in ledger.failed if other != rule.id])
    outcomes = item.stash.setdefault(OUTCOMES, [])
    outcomes.append(rep)
    if rep.when == "teardown":  # the test's record, once all its phases are known
        rep.user_properties.append((RULES_PROPERTY, _record(item, outcomes, ledger).to_json()))
    return headline


def _rule_of(exc: BaseException, ledger: Ledger) -> rules.Rule | None:
    """The rule a failure breaks: named by it, by its schemathesis check, else the test's first declared rule.

    None for a failure that says nothing about the gateway's rules (it could not be reached, or the
    suite refused to send something).
    """
    if isinstance(exc, RuleViolation):
        return exc.rule
    if isinstance(exc, (GatewayUnreachable, UnsafeRequest)):
        return None
    group = getattr(exc, "exceptions", None)  # a schemathesis FailureGroup: each failure names its check
    if group:
        for failure in group:
            if isinstance(failure, RuleViolation):
                return failure.rule
            if id(failure) in ledger.failure_rules:
                return ledger.failure_rules[id(failure)]
        return rules.DOCUMENTED
    return ledger.declared[0] if ledger.declared else None


def _first_line(text: str) -> str:
    return redact(text.strip().splitlines()[0] if text.strip() else text)


def _edition_of(config: pytest.Config) -> Edition | None:
    """The edition the run holds the gateway to, once its target is open: whose pages a failure cites."""
    target = running_target(config)
    return target.edition if target is not None else None


def _headline(rep: pytest.TestReport, rule: rules.Rule, detail: str, edition: Edition | None,
              others: list[str]) -> str:
    """The failure's one-line form (``--tb=line``, ``-rf``, JUnit ``message``) begins with the rule; the other rules
    the judge saw fail in the same test follow it, so that the terminal names every rule the report counts."""
    also = f" (also failed: {', '.join(others)})" if others else ""
    line = f"{rule.headline(edition)}: {detail}{also}"
    crash = getattr(rep.longrepr, "reprcrash", None)
    if crash is not None and hasattr(crash, "message"):
        crash.message = line
    rep.sections.append(("rule", f"{rule.headline(edition)}\n{detail}{also}"))
    return line


def _record(item: pytest.Item, phases: list[pytest.TestReport], ledger: Ledger) -> report.TestRecord:
    """What the test as a whole (setup, call, teardown) says of its rules."""
    failed = [rep for rep in phases if rep.failed]
    skipped = [rep for rep in phases if rep.skipped and not hasattr(rep, "wasxfail")]
    message = ""
    if failed:
        outcome = "failed"
        if not ledger.failed:
            message = _first_line(str(failed[0].longrepr))
    elif any(hasattr(rep, "wasxfail") for rep in phases):
        outcome = "deviation"
    elif skipped:
        outcome = "skipped"
        longrepr = skipped[0].longrepr
        message = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    else:
        outcome = "passed"
    return report.TestRecord(item.nodeid, outcome, [rule.id for rule in ledger.declared], sorted(ledger.held),
                             dict(ledger.failed), dict(ledger.deviations), redact(message))


# -- secret hygiene -------------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo[Any],
                              report: pytest.TestReport) -> Generator[None, None, None]:
    """After every other plugin rebuilt the failure (schemathesis does, from the raw exception): scrub it."""
    result = yield
    _scrub(report)
    ledger = node.stash.get(LEDGER, None) if isinstance(node, pytest.Item) else None
    if ledger is not None and isinstance(report.longrepr, str) and ledger.failed:
        rule_id = next(iter(ledger.failed))
        report.longrepr = f"{rules.RULES[rule_id].headline(_edition_of(node.config))}\n\n{report.longrepr}"
    return result


def _scrub(report_: pytest.TestReport) -> None:
    """The token, in any encoding, out of the failure text and the captured output."""
    if report_.longrepr is not None:
        text = str(report_.longrepr)
        cleaned = redact(text)
        if cleaned != text:
            report_.longrepr = cleaned
    report_.sections = [(name, redact(content)) for name, content in report_.sections]
