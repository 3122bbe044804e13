"""The operation itself: ours found in THEIR description by its path's shape, then its path and deprecation compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.published.context import Context
from contracts.spec import resolve

OPERATION_ID = "deleteCredential"  # the operation under contract, in openapi.yaml
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
API_PREFIX = "apiops"  # base-url.md: part of the server URL; a description may write it in its path keys


@dataclass(frozen=True)
class Located:
    """An operation where a document declares it: its path key, its path item and the operation object."""

    path: str
    item: dict[str, Any]
    operation: dict[str, Any]


def operation_by_id(document: dict[str, Any], operation_id: str) -> tuple[str, str, dict[str, Any],
                                                                           dict[str, Any]] | None:
    """Path key, method, path item and operation of the operation ``operation_id``; None when none has that id."""
    for path, raw in document["paths"].items():
        item = resolve(document, raw)
        for method in METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return str(path), method, item or {}, operation
    return None


@dataclass(frozen=True)
class Template:
    """A path key's shape: literal segments (None for a parameter), parameter names, trailing slash."""

    segments: tuple[str | None, ...]
    names: tuple[str, ...]
    slash: bool

    @classmethod
    def of(cls, path: str) -> Template:
        parts = [part for part in path.split("/") if part]
        if parts and parts[0] == API_PREFIX:
            parts = parts[1:]
        parameter = [part.startswith("{") and part.endswith("}") and len(part) > 2 for part in parts]
        return cls(tuple(None if is_parameter else part for part, is_parameter in zip(parts, parameter, strict=True)),
                   tuple(part[1:-1] for part, is_parameter in zip(parts, parameter, strict=True) if is_parameter),
                   path.endswith("/") and bool(parts))


def _gone(ours: Template, theirs: Template) -> list[str]:
    """Our path parameters that THEIR path, with fewer parameters, has no place for: those whose preceding
    literal segment is followed by no parameter in theirs (else the last ones)."""
    if len(theirs.names) >= len(ours.names):
        return []

    def after(template: Template) -> list[str | None]:
        """The literal segment before each parameter (None: none before it)."""
        return [template.segments[index - 1] if index else None
                for index, segment in enumerate(template.segments) if segment is None]

    places = set(after(theirs))
    gone = [name for name, place in zip(ours.names, after(ours), strict=True) if place not in places]
    return gone or list(ours.names[len(theirs.names):])


def find(context: Context, method: str, ours: Located) -> Located | None:
    """THEIR path key, path item and operation for ours; a difference when there is none."""
    path, operation = ours.path, ours.operation
    wanted = Template.of(path)
    candidates: list[tuple[tuple[bool, bool, bool], str, dict[str, Any], dict[str, Any]]] = []
    for key, raw in context.theirs["paths"].items():
        template = Template.of(str(key))
        if template.segments != wanted.segments:
            continue
        item = context.deref(context.theirs, raw, "path")
        candidate = (item or {}).get(method)
        if isinstance(candidate, dict):
            score = (template.slash == wanted.slash, template.names == wanted.names,
                     candidate.get("operationId") == operation.get("operationId"))
            candidates.append((score, str(key), item or {}, candidate))
    if candidates:
        _, key, item, candidate = max(candidates, key=lambda found: found[0])
        return Located(key, item, candidate)
    elsewhere = operation_by_id(context.theirs, str(operation.get("operationId")))
    gone = _gone(wanted, Template.of(elsewhere[0])) if elsewhere is not None and elsewhere[1] == method else []
    if elsewhere is not None and gone:
        for name in gone:
            context.add("path-parameter-removed", f"parameters.{name}", f"`{path}` → `{elsewhere[0]}`",
                        f"the gateway declares the operation at a path without {{{name}}}, so the URL clients "
                        "build from ours, which names it, reaches nothing")
    elif elsewhere is not None and elsewhere[1] == method:
        context.add("operation-moved", "path", f"`{path}` → `{elsewhere[0]}`",
                    "the gateway declares the operation at another path, so the URL clients build from ours "
                    "reaches nothing")
    else:
        context.add("operation-removed", "operation", f"`{method.upper()} {path}` → absent",
                    "the gateway no longer declares the operation")
    return None


def path(context: Context, ours: Located, theirs: Located) -> None:
    """The trailing slash, and the names of the path parameters."""
    our_template, their_template = Template.of(ours.path), Template.of(theirs.path)
    if our_template.slash != their_template.slash:
        context.add("path-trailing-slash-changed", "path", f"`{ours.path}` → `{theirs.path}`",
                    "OpenAPI matches paths literally, so the URL a client builds from ours, "
                    f"{'with' if our_template.slash else 'without'} the trailing slash (base-url.md ends every "
                    "endpoint with one), is not one the gateway declares")
    for name, their_name in zip(our_template.names, their_template.names, strict=True):
        if name != their_name:
            context.add("path-parameter-renamed", f"parameters.{name}.name", f"`{name}` → `{their_name}`",
                        "path parameters are matched by position; their names never go on the wire")


def deprecated(context: Context, ours: Located, theirs: Located) -> None:
    if theirs.operation.get("deprecated") is True and ours.operation.get("deprecated") is not True:
        context.add("operation-deprecated", "deprecated", "false → true",
                    "still declared and answered as before, but the gateway announces its removal")
