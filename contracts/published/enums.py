"""A response field's enum: the values ours lists against those theirs lists, read with the examples ours answers."""

from __future__ import annotations

from typing import Any

from contracts.published.context import Context
from contracts.published.reading import listed, missing, value_key


def enum(context: Context, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any],
         error: bool) -> None:
    """Values removed matter where ours answers them (its examples show it); values added, where a success is read."""
    our_enum, their_enum = ours.get("enum"), theirs.get("enum")
    where = f"{where}.enum"
    if not isinstance(our_enum, list):
        if isinstance(their_enum, list):
            context.add("response-enum-added", where, f"any → {listed(their_enum)}", "narrower: only listed values")
        return
    relied = [value for value in our_enum if value_key(value) in {value_key(example) for example in examples}]
    if isinstance(their_enum, list):
        removed, added = missing(their_enum, our_enum), missing(our_enum, their_enum)
    else:
        removed, added = [], ["any value"]
    if our_enum and isinstance(their_enum, list) and not missing(removed, our_enum):
        context.add("response-enum-disjoint", where, f"{listed(our_enum)} → {listed(their_enum)}",
                    "no value ours allows is one theirs allows, so every answer ours promises contradicts theirs")
        return
    shared = _shared(context, where, added) if isinstance(their_enum, list) else []
    if shared:
        context.add("response-enum-shared-with-other-statuses", where, f"+ {listed(shared)}",
                    "values ours gives this field under another status of the operation: theirs describes one "
                    "envelope for every status and does not say which status carries which value")
        added = [value for value in added if value not in shared]
    for value in removed:
        if value in relied:
            context.add("response-enum-value-removed", where, f"- {listed([value])}",
                        "ours answers it here, as this response's example shows, so clients branch on it")
    unrelied = [value for value in removed if value not in relied]
    if unrelied:
        context.add("response-enum-unanswered-value-removed", where, f"- {listed(unrelied)}",
                    "the gateway promises fewer values, so a client that handles ours handles theirs, and "
                    "this response's example in ours answers none of these")
    if added:
        change = f"+ {listed(added) if isinstance(their_enum, list) else 'any value'}"
        if error:
            context.add("response-error-code-added", where, change,
                        "a new error code under a status whose meaning is unchanged: clients branch on the status "
                        "first and must tolerate codes they do not know (error-handling.md)")
        else:
            context.add("response-enum-value-added", where, change,
                        "clients of a success body may switch over the values ours lists")


def _shared(context: Context, where: str, added: list[Any]) -> list[Any]:
    """The ``added`` values of a top-level field's enum that ours lists for that field under another status."""
    status = context.status
    prefix = f"responses.{status}."
    if status is None or not where.startswith(prefix):
        return []
    parts = where[len(prefix):].split(".")
    if len(parts) < 4 or parts[-1] != "enum" or parts[-3] != "properties" or "properties" in parts[:-3]:
        return []  # not a field of the body's top level
    name = parts[-2]
    elsewhere = [value for other, found in context.enums.items() if other != status
                 for value in found.get(name, [])]
    return [value for value in added if value_key(value) in {value_key(other) for other in elsewhere}]
