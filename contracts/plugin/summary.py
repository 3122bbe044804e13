"""The end of the session: the clean-up of what the run created, the drift against ``--baseline``, the
conformance reports, and the terminal summary (what failed the run beyond its tests, and why).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from contracts import cleanup, deviations, drift, report
from contracts import settings as settings_module
from contracts.client import CreateBudget
from contracts.http.ratelimit import limited_line
from contracts.plugin.opening import load_verdict_settings, manager_url, target_info_of, with_baseline
from contracts.plugin.run import Run, budget_path, run_of
from contracts.plugin.session import keep_the_exit_to_its_line
from contracts.redaction import redact


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    run = run_of(config)
    target = run.target
    if target is not None:
        try:
            if target.kind != "stub":  # a replay created nothing real
                assert run.judge is not None
                run.finishing = True
                if run.token_refused:  # nothing more can be sent: what its creates made, as far as the run knows
                    run.leftovers = [cleanup.Leftover(project, name, "its create succeeded; not checked, not deleted: "
                                                      "the token is no longer accepted", listed=False)
                                     for name, project in sorted(run.registry.alive.items())]
            if target.kind != "stub" and not run.token_refused:
                assert run.judge is not None
                with run.judge.aside():
                    # Counted from the gateway's list, read once per project after the deletes, not from the
                    # register (a create that never succeeded made nothing; a DELETE's 200 is checked, every
                    # test's included); the register is the upper bound when the list cannot be read.
                    comeback = cleanup.Comeback(target.settings.cleanup_wait) \
                        if target.settings.cleanup_wait > 0 else None
                    run.leftovers = cleanup.clean_up(target.client, run.registry, target.namespace,
                                                     sorted(target.client.projects), comeback=comeback,
                                                     away=run.away)
                    said = comeback.line() if comeback is not None else None
                    if said:
                        run.said.append(said)
            if target.kind != "stub":
                run.cleanup_at = {"run_id": target.namespace.run_id, "manager_url": manager_url(target.api_url)}
        finally:
            run.rate_limited = target.client.session.rate_limit.counts()
            run.living = {"lag": dict(target.client.settler.lag.waited), "others": len(target.client.others.changed),
                          "settle": target.client.settler.window}
            target.close()
    keep_the_exit_to_its_line(config, run)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports
        workeroutput["apiops"] = {"target_info": target_info_of(target) if target is not None else {},
                                  "leftovers": [dataclasses.asdict(item) for item in run.leftovers],
                                  "published": run.published, "cleanup_at": run.cleanup_at,
                                  "infrastructure": run.infrastructure, "stack": run.stack, "said": run.said}
        workeroutput["apiops"]["rate_limited"] = run.rate_limited
        workeroutput["apiops"]["living"] = run.living
        workeroutput["apiops"]["stopped"] = run.exit_line  # a worker's verdict: its controller says it
        return
    _compare_with_the_baseline(config, run)
    if run.leftovers:
        run.problems.append(f"{len(run.leftovers)} credential(s) left behind (see above)")
    if run.published.get("breaking") and run.published.get("strict"):
        run.problems.append("the gateway's published description breaks the contract document "
                            "(--published-spec strict)")
    if run.target is not None or run.records or run.exit_line:  # a stopped run's report says it stopped
        _write_reports(config, run)
    if run.problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _compare_with_the_baseline(config: pytest.Config, run: Run) -> None:
    """Once every test (of every worker) recorded: the drift against ``--baseline``, breaking drift failing the run."""
    baseline, recordings = settings_module.raw(config, "apiops_baseline"), config.getoption("apiops_recordings")
    if not baseline or not recordings or not run.records:
        return
    text, breaking = drift.summarise_for_terminal(Path(baseline), Path(recordings), selected=set(run.records))
    run.drift_text = text
    if breaking:
        run.problems.append("breaking drift against the baseline (see above)")


def _write_reports(config: pytest.Config, run: Run) -> None:
    try:
        resolved = settings_module.resolve(config)
        if not run.verdicts_loaded:  # the xdist controller, which opened no target
            load_verdict_settings(run, with_baseline(resolved))
    except (settings_module.SettingsError, deviations.DeviationsError):
        return
    results = report.build(run.records.values(), run.deviations, run.kinds)
    run.problems += report.run_problems(results, run.deviations)
    if resolved.deviations_update:  # adoption on day one: today's failing rules become known deviations
        failed = {result.rule.id: redact(result.message) for result in results if result.outcome == "failed"}
        info = target_info_of(run.target) if run.target is not None else run.target_info
        count = deviations.write_baseline(Path(resolved.deviations_update), failed,
                                          str(info.get("base_url") or resolved.target))
        run.said.append(f"apiops: wrote {count} known deviation(s) to {resolved.deviations_update} (today's failing "
                        f"rules, each until {deviations.BASELINE_DAYS} days from now): run with "
                        f"--deviations={resolved.deviations_update}")
    info = target_info_of(run.target) if run.target is not None else run.target_info
    run_info = {
        "target": resolved.target,
        "gateway": info.get("gateway") or ("reference gateway" if resolved.target == "local" else
                                           settings_module.gateway_named()[0] or "live gateway"),
        "gateway_version": info.get("gateway_version") or settings_module.gateway_named()[1],
        "base_url": info.get("base_url"),
        "project": info.get("project") or resolved.project,
        "date": date.today().isoformat(),
        "run_id": info.get("run_id"),
        "edition": info.get("edition") or resolved.edition,
        "edition_evidence": info.get("edition_evidence") or [],
        **({"stopped": run.exit_line} if run.exit_line else {}),  # why the run stopped (exit 4)
    }
    extra = {"leftovers": [dataclasses.asdict(item) for item in run.leftovers], "stack": run.stack,
             "infrastructure": run.infrastructure,
             "published_spec": run.published.get("json") or {"note": run.published.get("note", "not compared")}}
    extra["rate_limited"] = run.rate_limited
    extra["living"] = run.living_lines()
    if run.drift_text:  # against --baseline: the HTML report shows it
        extra["drift"] = redact(run.drift_text)
    notes = [*run.problems, *run.living_lines(),
             *([run.published["headline"]] if run.published.get("headline") else []),
             *(f"answered by the Manager's HTTP stack, not its code: {cause} (e.g. {example})"
               for cause, example in run.stack.items())]
    if resolved.report or resolved.report_json or settings_module.variable("GITHUB_STEP_SUMMARY"):
        run.written = report.write(results, run_info, markdown=resolved.report, json_path=resolved.report_json,
                                   notes=notes, extra=extra)
    run.results = results


def _published_description(terminalreporter: Any, config: pytest.Config, run: Run) -> None:
    """The published description compared, or why not: one line in every run (said under the header, or here by an
    xdist controller, whose workers could not print), unless a difference is breaking: then the breaking ones, and
    how many more -v lists. With -v, every difference."""
    if not run.published:
        return
    verbose = config.getoption("verbose") > 0
    if verbose:
        terminalreporter.section("the gateway's published description")
        terminalreporter.write_line(redact(run.published.get("url", "")))
        lines = run.published.get("lines") or [f"not compared: {run.published.get('note', '')}"]
    elif run.published.get("breaking"):
        terminalreporter.section("the gateway's published description")
        lines = run.published.get("breaking_lines") or run.published.get("lines") or []
    elif run.target is None:  # an xdist controller: its workers said nothing
        said = run.published.get("headline") or \
            f"the gateway's published description: not compared: {run.published.get('note')}"
        lines = [f"apiops: {said}"]
    else:
        return
    for line in lines:
        terminalreporter.write_line(redact(line))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = run_of(config)
    if run.drift_text:
        terminalreporter.section("drift against the baseline")
        terminalreporter.write_line(redact(run.drift_text))
    warned = [result for result in run.results if result.outcome == "warned"]
    if warned:  # what --fail-on let through: seen, and not failing the run
        terminalreporter.section("warned, not failed (--fail-on)")
        for result in warned:
            terminalreporter.write_line(redact(f"warned: {result.rule.id} ({result.rule.kind}): {result.message}"))
    noteworthy = [result for result in run.results if result.outcome in ("deviation", "fixed-deviation")]
    if noteworthy or run.deviations.expired():
        terminalreporter.section("known deviations")
        for result in noteworthy:
            terminalreporter.write_line(redact(f"{result.outcome}: {result.rule.id}: {result.message}"))
        for waiver in run.deviations.expired():
            terminalreporter.write_line(f"expired: {waiver.rule.id} (until {waiver.until})")
    _published_description(terminalreporter, config, run)
    if run.infrastructure:  # not the Manager's answers: reported, one line per cause, judged by no rule
        terminalreporter.section("answered by the infrastructure, not the Manager")
        for cause, example in run.infrastructure.items():
            terminalreporter.write_line(redact(f"{cause} (e.g. {example})"))
    if run.stack and (exitstatus != 0 or config.getoption("verbose") > 0):
        # The Manager's HTTP stack's own answers, held to HTTP's rules: one line per cause, with an example.
        terminalreporter.section("answered by the Manager's HTTP stack, not its code")
        for cause, example in run.stack.items():
            terminalreporter.write_line(redact(f"{cause} (e.g. {example.split('; ')[0]})"))
    elif run.stack:  # a green run: one line, as the published description's
        terminalreporter.write_line(f"apiops: answered by the Manager's HTTP stack, not its code (-v shows examples): "
                                    f"{'; '.join(run.stack)}")
    if run.leftovers:
        terminalreporter.section("credentials left behind")
        unread = sorted({item.project for item in run.leftovers if not item.listed})
        if unread:
            terminalreporter.write_line(f"the credential list of {', '.join(unread)} could not be read: the names "
                                        "registered for clean-up there are an upper bound, not a count")
        for leftover in run.leftovers:
            terminalreporter.write_line(redact(f"{leftover.line()}"))
        run_id = run.cleanup_at.get("run_id", "<run id>")
        terminalreporter.write_line("remove them with (the token from APIOPS_TOKEN):")
        for project in sorted({item.project for item in run.leftovers}):
            terminalreporter.write_line("  " + cleanup.command(run_id, run.cleanup_at.get("manager_url",
                                                                                        "<manager url>"), project))
    if run.create_cap and run.run_id and run.records and budget_path(run.run_id).exists():
        used = CreateBudget(run.create_cap, budget_path(run.run_id)).used()
        terminalreporter.write_line(f"apiops: created {used} credential(s), of the {run.create_cap} this run may "
                                    "create")
    for line in run.living_lines():  # a staging that lives: said once, failing nothing
        terminalreporter.write_line(f"apiops: {line}")
    limited = limited_line(run.rate_limited)  # only when an answer was limited
    if limited:
        terminalreporter.write_line(limited)
    for path in run.written:
        terminalreporter.write_line(f"apiops: conformance report written to {path}")
    for line in run.said:
        terminalreporter.write_line(redact(line))
    for problem in run.problems:  # what fails the run though every test passed
        terminalreporter.write_line(redact(f"apiops: the run fails: {problem}"), red=True)
