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
    expected: str = ""  # the edition change that explains it ("2025-12 → 2026-08"), if one does

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
    expected: str  # the edition change that explains them, or ""
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
    documents: tuple[str, str] = ("", "")  # the contract document each side's answers were read with

    # What no edition explains is the result; what the documented edition change explains is apart.
    @property
    def breaking(self) -> list[Difference]:
        return [difference for difference in self.differences if difference.breaking and not difference.expected]

    @property
    def compatible(self) -> list[Difference]:
        return [difference for difference in self.differences if not difference.breaking and not difference.expected]

    @property
    def expected(self) -> list[Difference]:
        """The differences the documented edition change explains (contracts/drift/edition_change.py)."""
        return [difference for difference in self.differences if difference.expected]

    @property
    def edition_change(self) -> str:
        """``2025-12 → 2026-08`` when the two recordings are of different editions' answers, else ""."""
        return next((difference.expected for difference in self.differences if difference.expected), "")

    @property
    def has_breaking(self) -> bool:
        return bool(self.breaking)

    def headline(self) -> str:
        expected = f"; {self.expected_line()}" if self.expected else ""
        if not self.breaking and not self.compatible:
            found = "no drift" if not self.expected else "no drift the edition change does not explain"
            return f"{found} in {self.tests_compared} tests{expected}"
        return (f"{len(self.breaking)} breaking and {len(self.compatible)} compatible differences "
                f"in {self.tests_compared} tests{expected}")

    def expected_line(self) -> str:
        return f"expected by the edition change {self.edition_change}: {len(self.expected)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "before": {"path": self.before, **_provenance(self.before_meta), "contract": self.documents[0]},
            "after": {"path": self.after, **_provenance(self.after_meta), "contract": self.documents[1]},
            "tests_compared": self.tests_compared,
            "breaking": len(self.breaking),
            "compatible": len(self.compatible),
            "expected_by_edition_change": {"change": self.edition_change, "differences": len(self.expected)},
            "notes": self.notes,
            "differences": [asdict(difference) for difference in self.differences],
        }

    def to_markdown(self) -> str:
        lines = [f"# Drift: `{self.before}` → `{self.after}`", "", *_provenance_table(self), ""]
        lines += [f"> {note}" for note in self.notes] + ([""] if self.notes else [])
        lines.append(f"**{self.headline()}.**")
        unexplained = [group for group in self.groups() if not group.expected]
        if unexplained:
            lines += ["", "## Summary", "", "| | what changed | why it is classified so | seen in |",
                      "| --- | --- | --- | --- |"]
            lines += [f"| {group.severity} | {_cell(group.aspect)} {_cell(group.change)} | {_cell(group.explained)} "
                      f"| {group.seen()} |" for group in unexplained]
        # Where each was seen: one line per group, not per exchange (an upgrade's change is seen by many steps).
        for title, severity in (("Breaking", BREAKING), ("Compatible", COMPATIBLE)):
            groups = [group for group in unexplained if group.severity == severity]
            if groups:
                lines += ["", f"## {title}", ""]
                lines += [_line(group) for group in groups]
        if self.expected:
            lines += ["", f"## {self.expected_line()[0].upper()}{self.expected_line()[1:]}", "",
                      "In each of these exchanges the current answer is the one the current edition documents "
                      "for what the baseline answered in its own (contracts/editions/): the same expected answer, "
                      "in another status, envelope or body shape. A client has to follow them (`breaking`: one "
                      "written against the baseline's edition breaks on them); no edition change explains what is "
                      "listed above.", ""]
            lines += [f"- {group.severity}: {_line(group)[2:]}" for group in self.groups() if group.expected]
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """For a terminal summary: a headline, then one line per distinct change no edition explains, breaking
        first, then one line for what the edition change explains."""
        lines = [f"drift against {self.before}: {self.headline()}", *self.notes]
        for group in self.groups():
            if not group.expected:
                example = group.differences[0]
                lines.append(f"  {group.severity.upper():<10} {group.aspect} {group.change} ({group.explained}): "
                             f"{group.seen()}, e.g. {_short(example.test)} {example.where}")
        if self.expected:
            groups = sum(1 for group in self.groups() if group.expected)
            lines.append(f"  {'EXPECTED':<10} by the edition change {self.edition_change}: {len(self.expected)} "
                         f"differences in {groups} groups (python -m contracts.drift on the two recordings lists them)")
        return "\n".join(lines)

    def groups(self) -> list[Group]:
        """The differences that say the same thing, together: an upgrade usually changes one answer
        that many tests see, and a reviewer wants to read that once."""
        groups: dict[tuple[str, str, str, str, str, str], Group] = {}
        for difference in self.differences:  # already: unexplained breaking, unexplained compatible, expected
            key = (difference.severity, difference.aspect, difference.change, difference.reason, difference.annotation,
                   difference.expected)
            groups.setdefault(key, Group(*key, differences=[])).differences.append(difference)
        return list(groups.values())

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


def _line(group: Group) -> str:
    return f"- **{group.aspect}** {group.change} — {group.explained}: {group.seen()}: {group.where()}"


PROVENANCE = ("gateway", "gateway_version", "edition", "recorded_on", "target", "project")


def _provenance(meta: dict[str, Any]) -> dict[str, Any]:
    return {key: meta.get(key) for key in PROVENANCE}


def _provenance_table(report: DriftReport) -> list[str]:
    rows = ["| | baseline | current |", "| --- | --- | --- |"]
    for key in PROVENANCE:
        before, after = (_cell(str(meta.get(key, "–"))) for meta in (report.before_meta, report.after_meta))
        rows.append(f"| {key.replace('_', ' ')} | {before} | {after} |")
    if any(report.documents):  # the document each side's answers were read with: its edition's, or APIOPS_SPEC
        rows.append(f"| contract document | {_cell(report.documents[0])} | {_cell(report.documents[1])} |")
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
