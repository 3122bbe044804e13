"""What a comparison found, and how it reads: Markdown for people, one line each for a terminal, JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from contracts.spec import BREAKING, COMPATIBLE

__all__ = ["BREAKING", "COMPATIBLE", "Difference", "DriftReport"]


@dataclass(frozen=True)
class Difference:
    test: str  # node id
    step: int | None  # 1-based position of the exchange in the test; None for the whole test
    request: str | None  # "METHOD /path" of the current side, names normalised
    aspect: str  # status, error code, field, environment ... : what changed
    change: str  # from what to what
    severity: str  # BREAKING or COMPATIBLE
    reason: str  # why it is classified so
    annotation: str = ""  # what else it means, not what classes it (a status moving towards the contract)

    @property
    def breaking(self) -> bool:
        return self.severity == BREAKING

    @property
    def explained(self) -> str:
        """The reason, and the annotation if any."""
        return self.reason + (f"; {self.annotation}" if self.annotation else "")

    @property
    def where(self) -> str:
        if self.step is None:
            return "the test"
        return f"step {self.step}" + (f" `{self.request}`" if self.request else "")


@dataclass
class Group:
    """Differences that say the same thing (kind, field or status, class, reason, annotation), wherever seen."""

    severity: str
    aspect: str
    change: str
    reason: str
    annotation: str
    differences: list[Difference]

    @property
    def explained(self) -> str:
        return self.differences[0].explained

    def seen(self) -> str:
        tests = len({difference.test for difference in self.differences})
        exchanges = len(self.differences)
        return f"{exchanges} time{'s' if exchanges > 1 else ''} in {tests} test{'s' if tests > 1 else ''}"

    def where(self) -> str:
        """Each test it was seen in, with its steps, e.g. "`test_a` steps 1–3, 5; `test_b` step 2"."""
        steps: dict[str, list[int]] = {}
        for difference in self.differences:
            steps.setdefault(difference.test, []).extend([] if difference.step is None else [difference.step])
        return "; ".join(f"`{_short(test)}`" + _steps(numbers) for test, numbers in steps.items())


@dataclass
class DriftReport:
    before: str  # the directories as given
    after: str
    before_meta: dict[str, Any]
    after_meta: dict[str, Any]
    tests_compared: int
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "classified without the contract: ..."

    @property
    def breaking(self) -> list[Difference]:
        return [difference for difference in self.differences if difference.breaking]

    @property
    def compatible(self) -> list[Difference]:
        return [difference for difference in self.differences if not difference.breaking]

    @property
    def has_breaking(self) -> bool:
        return bool(self.breaking)

    def headline(self) -> str:
        if not self.differences:
            return f"no drift in {self.tests_compared} tests"
        return (f"{len(self.breaking)} breaking and {len(self.compatible)} compatible differences "
                f"in {self.tests_compared} tests")

    def to_json(self) -> dict[str, Any]:
        return {
            "before": {"path": self.before, **_provenance(self.before_meta)},
            "after": {"path": self.after, **_provenance(self.after_meta)},
            "tests_compared": self.tests_compared,
            "breaking": len(self.breaking),
            "compatible": len(self.compatible),
            "notes": self.notes,
            "differences": [asdict(difference) for difference in self.differences],
        }

    def to_markdown(self) -> str:
        lines = [f"# Drift: `{self.before}` → `{self.after}`", "", *_provenance_table(self), ""]
        lines += [f"> {note}" for note in self.notes] + ([""] if self.notes else [])
        lines.append(f"**{self.headline()}.**")
        if self.differences:
            lines += ["", "## Summary", "", "| | what changed | why it is classified so | seen in |",
                      "| --- | --- | --- | --- |"]
            lines += [f"| {group.severity} | {_cell(group.aspect)} {_cell(group.change)} | {_cell(group.explained)} "
                      f"| {group.seen()} |" for group in self.groups()]
        # Where each was seen: one line per group, not per exchange (an upgrade's change is seen by many steps).
        for title, severity in (("Breaking", BREAKING), ("Compatible", COMPATIBLE)):
            groups = [group for group in self.groups() if group.severity == severity]
            if groups:
                lines += ["", f"## {title}", ""]
                lines += [f"- **{group.aspect}** {group.change} — {group.explained}: {group.seen()}: {group.where()}"
                          for group in groups]
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """For a terminal summary: a headline, then one line per distinct change, breaking first."""
        lines = [f"drift against {self.before}: {self.headline()}", *self.notes]
        for group in self.groups():
            example = group.differences[0]
            lines.append(f"  {group.severity.upper():<10} {group.aspect} {group.change} ({group.explained}): "
                         f"{group.seen()}, e.g. {_short(example.test)} {example.where}")
        return "\n".join(lines)

    def groups(self) -> list[Group]:
        """The differences that say the same thing, together: an upgrade usually changes one answer
        that many tests see, and a reviewer wants to read that once."""
        groups: dict[tuple[str, str, str, str, str], Group] = {}
        for difference in self.differences:  # already breaking first
            key = (difference.severity, difference.aspect, difference.change, difference.reason, difference.annotation)
            groups.setdefault(key, Group(*key, differences=[])).differences.append(difference)
        return list(groups.values())

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


PROVENANCE = ("gateway", "gateway_version", "edition", "recorded_on", "target", "project")


def _provenance(meta: dict[str, Any]) -> dict[str, Any]:
    return {key: meta.get(key) for key in PROVENANCE}


def _provenance_table(report: DriftReport) -> list[str]:
    rows = ["| | baseline | current |", "| --- | --- | --- |"]
    for key in PROVENANCE:
        before, after = (_cell(str(meta.get(key, "–"))) for meta in (report.before_meta, report.after_meta))
        rows.append(f"| {key.replace('_', ' ')} | {before} | {after} |")
    return rows


def _steps(numbers: list[int]) -> str:
    """`` step 2``, `` steps 1–3, 5``: runs of consecutive steps as ranges; "" for the whole test."""
    ordered = sorted(set(numbers))
    runs: list[list[int]] = []
    for number in ordered:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    spans = [str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs]
    return f" step{'s' if len(ordered) > 1 else ''} {', '.join(spans)}" if spans else ""


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a ``|`` would end the cell."""
    return text.replace("|", "\\|")


def _short(test: str) -> str:
    """``contracts/scenarios/test_x.py::test_y[a]`` -> ``test_y[a]``: the module is the same for all."""
    return test.rpartition("::")[2]
