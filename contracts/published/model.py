"""The findings: each difference, and one operation's comparison as machines, people and terminals read it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from contracts.published.classifications import BREAKING, SEVERITIES


class PublishedSpecError(Exception):
    """A document that cannot be compared at all: not a mapping, not OpenAPI 3.x, no ``paths``.

    Its message is one line, for the caller to print as it is.
    """


@dataclass(frozen=True)
class Difference:
    id: str  # its classification, a key of CLASSIFICATIONS: response-status-undeclared
    where: str  # a JSON-pointer-like location in OUR operation: responses.400.schema.properties.error.enum
    change: str  # from what to what, short
    severity: str  # BREAKING, ADDITIVE, COMPATIBLE or SILENT: its classification's
    reason: str  # one sentence: why it is classified so

    @property
    def breaking(self) -> bool:
        return self.severity == BREAKING


@dataclass
class Comparison:
    """What :func:`compare` found for one operation, and how it reads for machines, people and terminals."""

    operation_id: str
    operation: str  # ours: "DELETE /projects/{projectName}/credentials/{username}/"
    found_at: str | None  # "DELETE <their path key>", None when they do not declare it
    differences: list[Difference] = field(default_factory=list)
    document: str = "openapi.yaml"  # ours, by its file (the run's edition's contract document)

    @property
    def has_breaking(self) -> bool:
        return any(difference.breaking for difference in self.differences)

    def count(self, severity: str) -> int:
        return sum(1 for difference in self.differences if difference.severity == severity)

    def headline(self) -> str:
        if not self.differences:
            return f"the published description declares {self.operation} as {self.document} does"
        counts = [f"{self.count(severity)} {severity}" for severity in SEVERITIES]
        return f"{counts[0]}, {counts[1]}, {counts[2]} and {counts[3]} differences in {self.operation}"

    def to_json(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "operation": self.operation,
            "found_at": self.found_at,
            "has_breaking": self.has_breaking,
            **{severity: self.count(severity) for severity in SEVERITIES},
            "differences": [asdict(difference) for difference in self.differences],
        }

    def to_markdown(self) -> str:
        lines = [f"# Published description vs {self.document}: `{self.operation}`", ""]
        if self.found_at is not None:
            lines += [f"Found in the published description as `{self.found_at}`.", ""]
        lines.append(f"**{self.headline()}.**")
        if self.differences:
            lines += ["", "| severity | id | where | change | why it is classified so |",
                      "| --- | --- | --- | --- | --- |"]
            lines += [f"| {d.severity} | `{d.id}` | `{_cell(d.where)}` | {_cell(d.change)} | {_cell(d.reason)} |"
                      for d in self.differences]
        return "\n".join(lines) + "\n"

    def to_lines(self, everything: bool = True) -> list[str]:
        """A headline, then one line per difference, breaking first (for a terminal summary); not ``everything``:
        the breaking ones only, and how many more ``-v`` lists."""
        shown = [d for d in self.differences if everything or d.breaking]
        rest = len(self.differences) - len(shown)
        return [f"published spec: {self.headline()}",
                *(f"  {d.severity.upper():<10} {d.where}: {d.change} [{d.id}] ({d.reason})" for d in shown),
                *([f"  (-v lists the {rest} other difference{'s' if rest != 1 else ''})"] if rest else [])]


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a ``|`` would end the cell, a newline the row."""
    return text.replace("|", "\\|").replace("\n", " ")
