"""The request: the operation's parameters (a path parameter's type, lengths, pattern, enum) and its body.

THEIR gateway may accept more than ours (compatible), never less (breaking).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from contracts.published.context import Context
from contracts.published.operations import Located, Template
from contracts.published.reading import listed, missing

IGNORED_HEADERS = {"accept", "content-type", "authorization"}  # OpenAPI 3.0: such parameters are ignored

# Names a path parameter pattern is tried on (a pattern's strictness cannot be decided in general):
# openapi.yaml's examples, the names the scenarios send (the suite's namespace, and those that need
# URL encoding, contracts/scenarios/test_delete_credential.py), then a few more, some that ours
# rejects (space, slash, empty).
PROBE_NAMES = ("MyProject", "api-user", "apiops-ct-reference-deleting-1a2b3c-cred-1", "user@example.com", "a+b",
               "100%", "why?", "hash#tag", "a&b=c", "x:y;z", "ünïcødé", "a", "0", "A_b.c~1", "a b", "a/b",
               "tab\there", "")


def declared(context: Context, document: dict[str, Any], item: dict[str, Any],
             operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(in, name) -> parameter: the path item's, overridden by the operation's (OpenAPI 3.0)."""
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for level in (item.get("parameters"), operation.get("parameters")):
        for raw in level if isinstance(level, list) else []:
            parameter = context.deref(document, raw, "parameters")
            name, location = (parameter or {}).get("name"), (parameter or {}).get("in")
            if parameter is not None and isinstance(name, str) and isinstance(location, str):
                parameters[(location, name.lower() if location == "header" else name)] = parameter
    return parameters


def parameters(context: Context, ours: Located, theirs: Located) -> None:
    """Each path parameter by position, then the parameters only one side declares."""
    our_parameters = declared(context, context.ours, ours.item, ours.operation)
    their_parameters = declared(context, context.theirs, theirs.item, theirs.operation)
    for name, their_name in zip(Template.of(ours.path).names, Template.of(theirs.path).names, strict=True):
        where = f"parameters.{name}"
        their_parameter = their_parameters.get(("path", their_name))
        if their_parameter is None:
            context.add("path-parameter-undeclared", where, "declared → not declared",
                        "without a declaration any value is allowed, which is looser than ours")
        else:
            parameter(context, where, our_parameters.get(("path", name), {}), their_parameter)
    for key in sorted(their_parameters.keys() - our_parameters.keys()):
        location, name = key
        if location == "path" or (location == "header" and name in IGNORED_HEADERS):
            continue
        if their_parameters[key].get("required") is True:
            context.add("request-parameter-required-added", f"parameters.{name}", f"new required {location} parameter",
                        "a client written against ours does not send it")
        else:
            context.add("request-parameter-optional-added", f"parameters.{name}", f"new optional {location} parameter",
                        "a client may leave it out")
    for key in sorted(our_parameters.keys() - their_parameters.keys()):
        location, name = key
        if location != "path" and not (location == "header" and name in IGNORED_HEADERS):
            context.add("request-parameter-removed", f"parameters.{name}", f"{location} parameter → not declared",
                        "the gateway no longer reads it; a client that sends it sends one value too many")


def parameter(context: Context, where: str, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """A parameter may accept more than ours (compatible), never less (breaking)."""
    if ours.get("required") is True and theirs.get("required") is not True:
        context.add("path-parameter-became-optional", f"{where}.required", "true → false",
                    "a client of ours always sends it anyway")
    schema = context.deref(context.ours, ours.get("schema"), f"{where}.schema") or {}
    their_schema = context.deref(context.theirs, theirs.get("schema"), f"{where}.schema") or {}
    where = f"{where}.schema"
    kind, their_kind = schema.get("type"), their_schema.get("type")
    if their_kind is not None and their_kind != kind:
        context.add("path-parameter-type-changed", f"{where}.type", f"`{kind or 'any'}` → `{their_kind}`",
                    f"stricter: values ours allows are not all of type {their_kind}")
    elif kind is not None and their_kind is None:
        context.add("path-parameter-type-removed", f"{where}.type", f"`{kind}` → any", "looser: any value is accepted")
    _length(context, where, "minLength", schema.get("minLength"), their_schema.get("minLength"), stricter=_greater)
    _length(context, where, "maxLength", schema.get("maxLength"), their_schema.get("maxLength"), stricter=_smaller)
    _pattern(context, where, schema, their_schema)
    enum, their_enum = schema.get("enum"), their_schema.get("enum")
    if isinstance(their_enum, list) and (not isinstance(enum, list) or missing(enum, their_enum)):
        context.add("path-parameter-enum-narrowed", f"{where}.enum",
                    f"{listed(enum) if isinstance(enum, list) else 'any'} → {listed(their_enum)}",
                    "stricter: values ours allows are no longer accepted")


def _length(context: Context, where: str, keyword: str, ours: Any, theirs: Any, *,
            stricter: Callable[[Any, Any], bool]) -> None:
    if ours == theirs:
        return
    change = f"{ours if ours is not None else 'none'} → {theirs if theirs is not None else 'none'}"
    if stricter(ours, theirs):
        context.add("path-parameter-length-stricter", f"{where}.{keyword}", change,
                    "stricter: names of a length ours allows are refused")
    else:
        context.add("path-parameter-length-looser", f"{where}.{keyword}", change,
                    "looser: every name ours allows is still accepted")


def _pattern(context: Context, where: str, schema: dict[str, Any], their_schema: dict[str, Any]) -> None:
    """Whether one regular expression accepts less than another is undecidable here: it is tried on
    PROBE_NAMES, and a probe ours accepts that theirs rejects is the evidence of a stricter pattern."""
    pattern, their_pattern = schema.get("pattern"), their_schema.get("pattern")
    if pattern == their_pattern:
        return
    where, change = f"{where}.pattern", f"`{pattern or 'none'}` → `{their_pattern or 'none'}`"
    if their_pattern is None:
        context.add("path-parameter-pattern-removed", where, change,
                    "looser: no pattern, so every name ours allows is accepted")
        return
    accepts, their_accepts = _accepts(schema), _matcher(their_pattern)
    if their_accepts is None:
        context.add("path-parameter-pattern-unreadable", where, change,
                    "their pattern is not a regular expression that can be read, so no name can be shown to be "
                    "accepted")
        return
    refused = [name for name in PROBE_NAMES if accepts(name) and not their_accepts(name)]
    if refused:
        context.add("path-parameter-pattern-stricter", where, change,
                    f"stricter: it refuses {refused[0]!r}, a name ours accepts")
    else:
        context.add("path-parameter-pattern-looser", where, change,
                    "every probe name ours accepts is accepted too (the names the scenarios send included)")


def request_body(context: Context, ours: Located, theirs: Located) -> None:
    body = context.deref(context.ours, ours.operation.get("requestBody"), "requestBody")
    their_body = context.deref(context.theirs, theirs.operation.get("requestBody"), "requestBody")
    if body is not None or their_body is None:
        return  # ours has no body for the DELETE; bodies of other operations are not compared
    if their_body.get("required") is True:
        context.add("request-body-required-added", "requestBody", "none → required",
                    "a client written against ours sends no body")
    else:
        context.add("request-body-optional-added", "requestBody", "none → optional", "a client may go on sending none")


def _greater(ours: Any, theirs: Any) -> bool:
    """minLength: theirs is stricter when it is larger."""
    return isinstance(theirs, int) and theirs > (ours if isinstance(ours, int) else 0)


def _smaller(ours: Any, theirs: Any) -> bool:
    """maxLength: theirs is stricter when it is smaller, or when ours had none."""
    return isinstance(theirs, int) and (not isinstance(ours, int) or theirs < ours)


def _matcher(pattern: Any) -> Callable[[str], bool] | None:
    """A predicate for a JSON Schema ``pattern`` (unanchored search); None when it does not compile."""
    if not isinstance(pattern, str):
        return None
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    return lambda name: compiled.search(name) is not None


def _accepts(schema: dict[str, Any]) -> Callable[[str], bool]:
    """A predicate: whether OUR parameter schema allows a name (its pattern, if it compiles, and lengths)."""
    matches = _matcher(schema.get("pattern")) or (lambda name: True)
    low, high = schema.get("minLength"), schema.get("maxLength")

    def accepts(name: str) -> bool:
        return (bool(matches(name)) and (not isinstance(low, int) or len(name) >= low)
                and (not isinstance(high, int) or len(name) <= high))

    return accepts
