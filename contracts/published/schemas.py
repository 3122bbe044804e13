"""Response body schemas: types, nullability, fields and items, compared aspect by aspect, nested schemas in turn.

THEIR schema may promise less variety than ours (a narrower type, more required fields), never more.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from contracts.published import enums
from contracts.published.context import Context
from contracts.spec import resolve

MAX_DEPTH = 32  # schemas nested deeper than this are not compared (recursive schemas end sooner: each pair once)
_ANY: dict[str, Any] = {}  # the schema THEIR side has where it declares none: any value (never mutated)


def schema(context: Context, where: str, raw: Any, their_raw: Any, examples: list[Any], error: bool) -> None:
    """A response schema: theirs may promise less variety than ours, never more."""
    if raw is None:
        return  # ours promises nothing here: anything theirs says is narrower
    their_raw = _ANY if their_raw is None else their_raw
    pair = (id(resolve(context.ours, raw)), id(resolve(context.theirs, their_raw)))
    ours, theirs = context.flat(context.ours, raw, where), context.flat(context.theirs, their_raw, where)
    if ours is None or theirs is None or pair in context.comparing or len(context.comparing) >= MAX_DEPTH:
        return  # unreadable (reported), a recursive schema met again inside itself, or nested too deep
    context.comparing.add(pair)
    try:
        _compare(context, where, ours, theirs, examples, error)
    finally:
        context.comparing.discard(pair)


def _compare(context: Context, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any],
             error: bool) -> None:
    if _alternatives(theirs) or _alternatives(ours):
        if json.dumps(theirs, sort_keys=True, default=str) != json.dumps(ours, sort_keys=True, default=str):
            if _alternatives(theirs):
                context.add("response-alternatives-added", where, "one shape → several (oneOf/anyOf)",
                            "a body may take shapes ours does not describe; not compared further")
            else:
                context.add("response-alternatives-removed", where, "several shapes (oneOf/anyOf) → one",
                            "theirs promises one of the shapes ours allows; not compared further")
        return
    for aspect in SCHEMA_ASPECTS:
        aspect(context, where, ours, theirs, examples, error)


def types(context: Context, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any],
          error: bool) -> None:
    """The JSON types, then nullability."""
    kinds, their_kinds = _types(ours) - {"null"}, _types(theirs) - {"null"}
    if kinds and not their_kinds:
        context.add("response-property-type-removed", f"{where}.type", f"`{_names(kinds)}` → any",
                    f"clients read it as {_names(kinds)}, and theirs allows any value")
    elif kinds and not all(_covered(kind, kinds) for kind in their_kinds):
        context.add("response-property-type-changed", f"{where}.type", f"`{_names(kinds)}` → `{_names(their_kinds)}`",
                    f"clients read it as {_names(kinds)}")
    elif kinds and their_kinds != kinds:
        context.add("response-property-type-narrowed", f"{where}.type", f"`{_names(kinds)}` → `{_names(their_kinds)}`",
                    "narrower: every value theirs allows is one ours allows")
    nullable, their_nullable = _nullable(ours), _nullable(theirs)
    if their_nullable and not nullable:
        context.add("response-property-became-nullable", f"{where}.nullable", "false → true",
                    "clients may get null where ours promises a value")
    elif nullable and not their_nullable:
        context.add("response-property-became-not-nullable", f"{where}.nullable", "true → false",
                    "narrower: never null any more")


def properties(context: Context, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any],
               error: bool) -> None:
    """The fields: each of ours (compared in turn), which are required, the new ones, and whether others may come."""
    declared, their_declared = ours.get("properties") or {}, theirs.get("properties") or {}
    required, their_required = set(ours.get("required") or []), set(theirs.get("required") or [])
    closed, their_closed = ours.get("additionalProperties") is False, theirs.get("additionalProperties") is False
    reader = "error-handling.md's format promises it" if error else "clients read it"
    for name in declared:
        place = f"{where}.properties.{name}"
        if name in their_declared or name in their_required:
            narrowed = [example[name] for example in examples if isinstance(example, dict) and name in example]
            schema(context, place, declared[name], their_declared.get(name, _ANY), narrowed, error)
        elif name in required:
            context.add("response-required-property-removed", place, "required → not declared",
                        f"ours requires it and {reader}")
        elif their_closed:
            context.add("response-optional-property-never-present", place, "optional → never present",
                        "ours makes it optional, so clients already handle its absence")
        else:
            context.add("response-optional-property-removed", place, "optional → not declared",
                        "ours makes it optional, so clients already handle its absence")
    for name in sorted(required - their_required):
        if name in their_declared and not their_required:
            context.add("response-required-unmarked", f"{where}.required", f"`{name}` required → not marked required",
                        "theirs lists it, in a schema that marks no field required (a generator such as springdoc "
                        "writes no `required`): silent on whether it is always there, not saying it may be absent")
        elif name in their_declared:
            context.add("response-property-became-optional", f"{where}.required", f"`{name}` required → optional",
                        f"ours requires it and {reader} without checking it is there")
    for name in sorted(their_required - required):
        if name in declared:
            context.add("response-property-became-required", f"{where}.required", f"`{name}` optional → required",
                        "narrower: always present")
    for name in their_declared:
        if name in declared:
            continue
        place = f"{where}.properties.{name}"
        if closed:
            context.add("response-property-added-where-closed", place, "absent → declared",
                        "ours allows no other field here (additionalProperties: false)")
        else:
            kind = "always present" if name in their_required else "optional"
            context.add("response-property-added", place, f"absent → declared ({kind})",
                        "a new field; clients ignore fields they do not know (ours allows other properties)")
    if closed and not their_closed:
        context.add("response-additional-properties-opened", f"{where}.additionalProperties", "false → allowed",
                    "ours promises no other field, and clients may reject one they do not know")
    elif their_closed and not closed and (declared or their_declared):
        context.add("response-additional-properties-closed", f"{where}.additionalProperties", "allowed → false",
                    "narrower: no other field")


def items(context: Context, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any],
          error: bool) -> None:
    """An array's items, compared as a schema of their own."""
    our_items, their_items = ours.get("items"), theirs.get("items")
    if our_items is not None and "array" in _types(ours):
        schema(context, f"{where}.items", our_items, their_items,
               [item for example in examples if isinstance(example, list) for item in example], error)


# The aspects of a schema, compared in this order (the order its differences are listed in, within a severity).
SchemaAspect = Callable[[Context, str, dict[str, Any], dict[str, Any], list[Any], bool], None]
SCHEMA_ASPECTS: tuple[SchemaAspect, ...] = (types, enums.enum, properties, items)


def _alternatives(schema: dict[str, Any]) -> bool:
    return "oneOf" in schema or "anyOf" in schema


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows ("null" for nullable, OpenAPI 3.0; type lists, 3.1); empty for any."""
    declared = schema.get("type")
    if isinstance(declared, str):
        kinds = {declared}
    elif isinstance(declared, list):
        kinds = {str(kind) for kind in declared}
    elif "properties" in schema or "additionalProperties" in schema:
        kinds = {"object"}
    elif "items" in schema:
        kinds = {"array"}
    else:
        return set()
    return kinds | ({"null"} if schema.get("nullable") is True else set())


def _nullable(schema: dict[str, Any]) -> bool:
    return "null" in _types(schema)


def _covered(kind: str, kinds: set[str]) -> bool:
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _names(kinds: Iterable[str]) -> str:
    return " or ".join(sorted(kinds))
