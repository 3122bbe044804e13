"""The conformance report: one line per rule of the rulebook, for a pull request or an upgrade review.

Each test leaves a :class:`TestRecord` (which rules it declared, which held, failed or deviated);
:func:`build` folds them into one :class:`RuleResult` per rule: ``failed`` if any test saw it fail,
a waived rule ``deviation`` when its failure was seen and ``fixed-deviation`` when it held, else
``passed`` when a test verified it, ``skipped`` (with why) when none did. Written as Markdown
(``--report``), as one HTML page when that path ends in ``.html`` (contracts/report_html.py renders the
JSON report), as JSON (``--report-json``) and appended to ``$GITHUB_STEP_SUMMARY``, even when the
run fails or is interrupted. Every text is redacted before it is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from contracts import editions, report_html, rules, settings
from contracts.deviations import Deviations
from contracts.editions import Edition
from contracts.redaction import redact

OUTCOMES = ("passed", "failed", "deviation", "fixed-deviation", "warned", "skipped")
_MARK = {"passed": "✅ passed", "failed": "❌ failed", "deviation": "⚠️ deviation",
         "fixed-deviation": "❗ fixed-deviation", "warned": "⚠️ warned (--fail-on)", "skipped": "➖ skipped"}


@dataclass
class TestRecord:
    """What one test saw of the rules (carried from xdist workers in ``report.user_properties``)."""

    nodeid: str
    outcome: str  # passed, failed, deviation (an xfail of a waived rule), skipped
    declared: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deviations: dict[str, str] = field(default_factory=dict)
    message: str = ""  # the skip reason, or the failure when no rule was named

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TestRecord:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class RuleResult:
    rule: rules.Rule
    outcome: str
    tests: list[str]
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.rule.id, "class": self.rule.kind, "statement": self.rule.statement,
                "sources": [{"edition": edition.id, "page": source.page, "section": source.section, "url": source.url}
                            for edition, source in self.rule.sources()],
                "outcome": self.outcome, "tests": self.tests, "message": redact(self.message)}


def build(records: Iterable[TestRecord], deviations: Deviations, kinds: Iterable[str]) -> list[RuleResult]:
    """One result per rule, in rulebook order."""
    records = list(records)
    selected = set(kinds)
    results = []
    for rule in rules.RULES.values():
        mine = [record for record in records if rule.id in {*record.declared, *record.held, *record.failed,
                                                             *record.deviations}]
        tests = sorted(record.nodeid for record in mine)
        if rule.kind not in selected:
            results.append(RuleResult(rule, "skipped", tests, f"not selected (--rules {','.join(sorted(selected))})"))
            continue
        failed = [f"{_short(record.nodeid)}: {record.failed[rule.id]}" for record in mine if rule.id in record.failed]
        seen = [f"{_short(record.nodeid)}: {record.deviations[rule.id]}" for record in mine
                if rule.id in record.deviations]
        held = any(rule.id in record.held or (record.outcome == "passed" and rule.id in record.declared)
                   for record in mine)
        waiver = deviations.waivers.get(rule.id)
        expired = waiver is not None and waiver.expired(deviations.today)
        if failed:
            note = f" (its waiver expired on {waiver.until})" if expired and waiver else ""
            results.append(RuleResult(rule, "failed", tests, failed[0] + note))
        elif waiver is not None and not expired:
            if seen:
                results.append(RuleResult(rule, "deviation", tests, f"{waiver.reason} — seen: {seen[0]}"))
            elif held:
                results.append(RuleResult(rule, "fixed-deviation", tests,
                                          f"deviation {rule.id} is no longer observed: remove it from "
                                          f"{deviations.path}"))
            else:
                results.append(RuleResult(rule, "skipped", tests, f"waived ({waiver.reason}), and not verified"))
        elif seen and waiver is None:  # not waived, yet deviated: its class is not in --fail-on
            results.append(RuleResult(rule, "warned", tests, seen[0]))
        elif held:
            note = f"its waiver expired on {waiver.until}: remove it from {deviations.path}" if expired and waiver \
                else ""
            results.append(RuleResult(rule, "passed", tests, note))
        else:
            reasons = [record.message for record in mine if record.message]
            results.append(RuleResult(rule, "skipped", tests, reasons[0] if reasons else
                                      "no test verified it in this run"))
    return results


def run_problems(results: list[RuleResult], deviations: Deviations) -> list[str]:
    """What fails the run beyond failed tests: stale and expired deviations."""
    problems = [result.message for result in results if result.outcome == "fixed-deviation"]
    problems += [f"deviation {waiver.rule.id} expired on {waiver.until}: fix the gateway or renew the entry in "
                 f"{deviations.path}" for waiver in deviations.expired()]
    return problems


def to_json(run: dict[str, Any], results: list[RuleResult], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    counts = {outcome: sum(result.outcome == outcome for result in results) for outcome in OUTCOMES}
    # A stopped run says so at the top, with why: its rules' outcomes are what it saw before it stopped.
    stopped = {"stopped": {"reason": run["stopped"]}} if run.get("stopped") else {}
    return {"run": run, "summary": counts, **stopped, "rules": [result.to_json() for result in results],
            **(extra or {})}


def to_markdown(run: dict[str, Any], results: list[RuleResult], notes: Iterable[str] = ()) -> str:
    counts = {outcome: sum(result.outcome == outcome for result in results) for outcome in OUTCOMES}
    gateway = f"{run.get('gateway', 'gateway')} {run.get('gateway_version') or ''}".strip()
    lines = [f"## Conformance of `DELETE /apiops/projects/{{projectName}}/credentials/{{username}}/` — {gateway}",
             "",
             f"Target `{run.get('target')}` at `{run.get('base_url')}`, project `{run.get('project')}`, "
             f"run `{run.get('run_id')}`, {run.get('date')}: "
             + ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count) + ".",
             *(["", f"**The run stopped** before its tests were done (exit 4): {_cell(run['stopped'])}"]
               if run.get("stopped") else []),
             "", f"Held to the edition {run.get('edition')}, chosen on: "
             + ("; ".join(run.get("edition_evidence") or []) or "the settings") + ".",
             "", "| rule | class | outcome | detail |", "| --- | --- | --- | --- |"]
    for result in results:
        rule = result.rule
        url = rule.url(_edition(run))
        name = f"[`{rule.id}`]({url})" if url else f"`{rule.id}`"
        detail = result.message or (f"{len(result.tests)} test{'s' if len(result.tests) != 1 else ''}"
                                    if result.tests else "")
        lines.append(f"| {name}<br>{_cell(rule.statement)} | {rule.kind} | {_MARK[result.outcome]} | "
                     f"{_cell(detail)} |")
    lines += [""] + [f"> {_cell(note)}" for note in notes]
    return redact("\n".join(lines).rstrip() + "\n")


def _edition(run: dict[str, Any]) -> Edition | None:
    """The edition a run was held to (``run["edition"]`` is its str: ``id (title)``), whose pages the report cites."""
    chosen = str(run.get("edition") or "").partition(" ")[0]
    return editions.get(chosen) if chosen in editions.ids() else None


def write(results: list[RuleResult], run: dict[str, Any], *, markdown: str | Sequence[str] | None,
          json_path: str | None, notes: list[str], extra: dict[str, Any] | None = None) -> list[str]:
    """Write the report where asked (``markdown``: each ``--report`` path, a ``.html`` one as a page), and to the
    GitHub step summary when there is one; the paths written."""
    written = []
    text = to_markdown(run, results, notes)
    data = to_json(run, results, extra)
    paths = [markdown] if isinstance(markdown, str) else list(markdown or [])
    reports = [(path, report_html.render(data, notes) if is_html(path) else text) for path in paths]
    for path, content in (*reports, (json_path, redact(json.dumps(data, indent=2, ensure_ascii=False) + "\n"))):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(content, encoding="utf-8")
            written.append(path)
    summary = settings.variable("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
        written.append("$GITHUB_STEP_SUMMARY")
    return written


def is_html(path: str) -> bool:
    """``--report`` writes one HTML page instead of Markdown when its file name ends in ``.html`` (or ``.htm``)."""
    return Path(path).suffix.lower() in (".html", ".htm")


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _short(nodeid: str) -> str:
    return nodeid.rpartition("::")[2]
