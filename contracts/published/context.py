"""What every aspect's comparer shares: both documents, the differences found so far, and reading a node of either."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.published.classifications import CLASSIFICATIONS
from contracts.published.model import Difference
from contracts.published.reading import kind_of
from contracts.spec import resolve


@dataclass
class Context:
    """One comparison in progress: OUR contract, THEIR description, and what has been found."""

    ours: dict[str, Any]
    theirs: dict[str, Any]
    differences: list[Difference] = field(default_factory=list)
    comparing: set[tuple[int, int]] = field(default_factory=set)  # the schema pairs being compared (recursive ones)
    enums: dict[str, dict[str, list[Any]]] = field(default_factory=dict)  # our status -> top-level field -> its enum
    status: str | None = None  # the status whose response is being compared

    def add(self, classification: str, where: str, change: str, reason: str) -> None:
        """A difference of the classification ``classification`` (its severity is the table's)."""
        self.differences.append(Difference(classification, where, change, CLASSIFICATIONS[classification].severity,
                                           reason))

    def deref(self, document: dict[str, Any], node: Any, where: str) -> dict[str, Any] | None:
        """``node`` with its ``$ref`` followed; one that does not resolve is a breaking difference, and None."""
        if node is None:
            return None
        found = resolve(document, node)
        if found is None:
            side = "our contract" if document is self.ours else "the published description"
            what = (f"`$ref: {node['$ref']}` does not resolve" if isinstance(node, dict)
                    else f"{kind_of(node)}, not an object")
            self.add("ref-unresolved", where, what,
                     f"{side} cannot be read here (only local `#/...` references to an existing object are "
                     "followed), so nothing there can be relied on or compared")
        return found

    def flat(self, document: dict[str, Any], raw: Any, where: str, depth: int = 0) -> dict[str, Any] | None:
        """The schema with its ``$ref`` followed and its ``allOf`` merged into one (as code generators do)."""
        schema = self.deref(document, raw, where)
        if schema is None or "allOf" not in schema or depth > 16:
            return schema
        merged: dict[str, Any] = {key: value for key, value in schema.items() if key != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[Any] = list(merged.get("required") or [])
        for part in schema["allOf"] if isinstance(schema["allOf"], list) else []:
            flat = self.flat(document, part, where, depth + 1) or {}
            properties.update(flat.get("properties") or {})
            required += [name for name in flat.get("required") or [] if name not in required]
            for key, value in flat.items():
                merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged

    def flat_quietly(self, document: dict[str, Any], raw: Any) -> dict[str, Any] | None:
        """:meth:`flat`, without reporting an unresolved reference (it is reported where it is compared)."""
        kept = len(self.differences)
        found = self.flat(document, raw, "")
        del self.differences[kept:]
        return found
