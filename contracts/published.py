"""The gateway's published description of the Management API, compared with our contract, for one operation.

A running Apinizer Manager publishes its own OpenAPI description of the Management API at
``{manager}/apiops/openapi.yaml`` (also ``.json``;
https://apinizer.github.io/management-api-docs/03-appendix/openapi-spec/). When it declares against
what our contract promises for ``DELETE /projects/{projectName}/credentials/{username}/`` (a type, an
enum value, JSON, the operation, a path parameter), an upgrade is about to break clients, and the
gateway says so itself before any request is sent. :func:`compare` finds the operation in THEIR
document and classifies every difference with OUR contract (openapi.yaml, or another edition's
contract document: :func:`recognise` tells which edition a description speaks, and
:func:`compare_recognised` compares it with that edition's), like the drift module does for
recordings (contracts/drift/compare.py).

Direction: OUR contract is what clients are written against; THEIR description is what the gateway
declares now. A difference is

- ``breaking`` when a client written against ours could fail on what theirs allows. In a response
  the gateway may promise *less* variety than ours (fewer codes, more required fields, a narrower
  type) but not more; in the request (path, parameters, body, security) it may accept *more* than
  ours but not less.
- ``additive`` when theirs declares something new that a client of ours never meets unless it asks
  for it or tolerates it by design: a new status, a new optional field, a new error code, another
  way to authenticate.
- ``compatible`` for every other difference: a narrower response or a looser request, a renamed
  path parameter (names never go on the wire).
- ``silent`` where theirs says nothing of what ours promises, the way a generator such as springdoc
  (a Manager's own description) leaves things out: a status ours declares and theirs does not, no
  security requirement at all, a field theirs lists but (writing no ``required``) does not mark
  required, one enum shared by every status where ours says which value goes with which. Silence
  is not evidence of a break (a gateway may promise fewer codes, above) nor of compatibility, so it
  has its own severity, listed last and never failing a run. What theirs *declares* against ours
  stays breaking: a type or an enum that excludes what ours requires, the operation or a path
  parameter gone, ``security: []``.

Every classification has an id (kebab-case, as oasdiff keys its checker rules,
https://github.com/oasdiff/oasdiff/blob/main/checker/rules.go): :data:`CLASSIFICATIONS` is the one
table of id, severity and statement; a :class:`Difference` carries its id. Where oasdiff rates the
same change, its rule id and level (ERR, WARN, INFO) are cited beside the entry, and where the
severity here differs, why; an id spelled as oasdiff's is the same change, rated alike.

Pure: two OpenAPI documents (dicts) in, a :class:`Comparison` out. No HTTP, no files, no pytest.
Local ``$ref``s are followed with the project's one resolver, :func:`contracts.spec.resolve`;
one that does not resolve is a difference, never a crash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from contracts import editions, spec
from contracts.editions import Edition
from contracts.spec import BREAKING, COMPATIBLE, resolve

ADDITIVE = "additive"
SILENT = "silent"  # theirs says nothing of it: never breaking, listed last
SEVERITIES = (BREAKING, ADDITIVE, COMPATIBLE, SILENT)  # also the order differences are listed in
MAX_DEPTH = 32  # schemas nested deeper than this are not compared (recursive schemas end sooner: each pair once)
OPERATION_ID = "deleteCredential"  # the operation under contract, in openapi.yaml
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
API_PREFIX = "apiops"  # base-url.md: part of the server URL; a description may write it in its path keys
IGNORED_HEADERS = {"accept", "content-type", "authorization"}  # OpenAPI 3.0: such parameters are ignored
JSON_MEDIA = "application/json"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where built: a whole API is large
_ANY: dict[str, Any] = {}  # the schema THEIR side has where it declares none: any value (never mutated)

# Names a path parameter pattern is tried on (a pattern's strictness cannot be decided in general):
# openapi.yaml's examples, the names the scenarios send (the suite's namespace, and those that need
# URL encoding, contracts/scenarios/test_delete_credential.py), then a few more, some that ours
# rejects (space, slash, empty).
PROBE_NAMES = ("MyProject", "api-user", "apiops-ct-reference-deleting-1a2b3c-cred-1", "user@example.com", "a+b",
               "100%", "why?", "hash#tag", "a&b=c", "x:y;z", "ünïcødé", "a", "0", "A_b.c~1", "a b", "a/b",
               "tab\there", "")


@dataclass(frozen=True)
class Classification:
    """One kind of difference: its id, its severity and what it is, in a few words."""

    id: str
    severity: str
    statement: str


def _table(*rows: tuple[str, str, str]) -> dict[str, Classification]:
    table = {row[0]: Classification(*row) for row in rows}
    assert len(table) == len(rows), "an id is listed twice"
    return table


# The one table of classifications. oasdiff: the rule of github.com/oasdiff/oasdiff checker/rules.go (commit
# 4553c69d, 2026-08-08) that rates the same change, and its level; ERR is breaking, WARN and INFO are not.
CLASSIFICATIONS: dict[str, Classification] = _table(
    # -- the description itself ------------------------------------------------------------------------------------
    ("ref-unresolved", BREAKING, "a `$ref` that does not resolve, or a node that is not an object"),
    # -- the operation and its path --------------------------------------------------------------------------------
    # oasdiff api-path-removed-without-deprecation: ERR
    ("operation-moved", BREAKING, "the operation is declared at another path"),
    # oasdiff api-removed-without-deprecation: ERR
    ("operation-removed", BREAKING, "the operation is not declared"),
    # oasdiff api-path-removed-without-deprecation: ERR (the path with the parameter is gone). Not
    # request-parameter-removed (WARN): a path parameter cannot be left out of the URL a client builds.
    ("path-parameter-removed", BREAKING, "the operation is declared at a path without one of our path parameters"),
    # oasdiff endpoint-deprecated: INFO
    ("operation-deprecated", COMPATIBLE, "the operation is deprecated"),
    ("path-trailing-slash-changed", BREAKING, "the path gained or lost its trailing slash"),
    ("path-parameter-renamed", COMPATIBLE, "a path parameter has another name, in the same position"),
    # -- parameters and body ---------------------------------------------------------------------------------------
    ("path-parameter-undeclared", COMPATIBLE, "a path parameter of the path is not declared (any value)"),
    # oasdiff new-required-request-parameter: ERR
    ("request-parameter-required-added", BREAKING, "a new required parameter"),
    # oasdiff new-optional-request-parameter: INFO
    ("request-parameter-optional-added", ADDITIVE, "a new optional parameter"),
    # oasdiff request-parameter-removed: WARN
    ("request-parameter-removed", COMPATIBLE, "a parameter ours declares is not read any more"),
    ("path-parameter-became-optional", COMPATIBLE, "a path parameter is no longer marked required"),
    # oasdiff request-parameter-type-changed: ERR
    ("path-parameter-type-changed", BREAKING, "a path parameter of another type"),
    ("path-parameter-type-removed", COMPATIBLE, "a path parameter of any type"),
    # oasdiff request-parameter-enum-value-removed: ERR
    ("path-parameter-enum-narrowed", BREAKING, "a path parameter limited to values ours does not limit it to"),
    # oasdiff request-parameter-min-length-increased, request-parameter-max-length-decreased: ERR
    ("path-parameter-length-stricter", BREAKING, "a path parameter's length limit is stricter"),
    # oasdiff request-parameter-min-length-decreased, request-parameter-max-length-increased: INFO
    ("path-parameter-length-looser", COMPATIBLE, "a path parameter's length limit is looser"),
    # oasdiff request-parameter-pattern-removed: INFO
    ("path-parameter-pattern-removed", COMPATIBLE, "a path parameter without a pattern"),
    ("path-parameter-pattern-unreadable", BREAKING, "a path parameter pattern that is not a readable expression"),
    # oasdiff request-parameter-pattern-added: ERR, request-parameter-pattern-changed: WARN; here a probe decides
    ("path-parameter-pattern-stricter", BREAKING, "a path parameter pattern that refuses a name ours accepts"),
    # oasdiff request-parameter-pattern-generalized: INFO
    ("path-parameter-pattern-looser", COMPATIBLE, "a path parameter pattern that accepts every probe name ours does"),
    # oasdiff request-body-added-required: ERR
    ("request-body-required-added", BREAKING, "a required request body"),
    # oasdiff request-body-added-optional: INFO
    ("request-body-optional-added", ADDITIVE, "an optional request body"),
    # -- security --------------------------------------------------------------------------------------------------
    # oasdiff api-security-removed, api-global-security-removed: INFO, for both cases. The suite agrees where the
    # description says nothing (springdoc writes no securitySchemes unless configured to), and differs where it
    # declares the operation open (`security: []`, or an empty requirement): that contradicts authentication.md
    # (every endpoint requires a token), on which the suite's 401 rules rest.
    ("security-undeclared", SILENT, "no security requirement is declared at all"),
    ("security-declared-anonymous", BREAKING, "the operation is declared open to anyone"),
    ("security-scheme-changed", BREAKING, "what a client of ours sends no longer authenticates"),
    # oasdiff api-security-added: INFO
    ("security-alternative-added", ADDITIVE, "another way to authenticate"),
    # -- responses -------------------------------------------------------------------------------------------------
    ("response-status-range", COMPATIBLE, "a status declared as part of a range (4XX)"),
    # oasdiff response-non-success-status-removed: INFO. Springdoc lists 200/401/500 for every operation.
    ("response-status-undeclared", SILENT, "a status ours declares (not a success) is not declared"),
    # oasdiff response-success-status-removed: ERR
    ("response-success-status-removed", BREAKING, "a success status ours declares is not declared"),
    # oasdiff response-success-status-added, response-non-success-status-added: INFO
    ("response-status-added", ADDITIVE, "a status ours does not declare"),
    # oasdiff response-media-type-removed: ERR
    ("response-media-type-removed", BREAKING, "the media type clients parse is not declared"),
    ("response-media-type-range", COMPATIBLE, "the media type is declared as part of a range (*/*)"),
    # oasdiff response-media-type-added: INFO
    ("response-media-type-added", ADDITIVE, "another media type"),
    ("response-schema-removed", BREAKING, "a body without a schema"),
    # -- response schemas ------------------------------------------------------------------------------------------
    # oasdiff response-body-one-of-added, response-property-one-of-added: ERR
    ("response-alternatives-added", BREAKING, "a body that may take several shapes (oneOf/anyOf)"),
    # oasdiff response-body-one-of-removed, response-property-one-of-removed: INFO
    ("response-alternatives-removed", COMPATIBLE, "one of the shapes ours allows"),
    # oasdiff response-property-type-changed: ERR
    ("response-property-type-removed", BREAKING, "a field of any type"),
    # oasdiff response-property-type-changed, response-body-type-changed: ERR
    ("response-property-type-changed", BREAKING, "a field of a type ours does not allow"),
    ("response-property-type-narrowed", COMPATIBLE, "a field of fewer types"),
    # oasdiff response-property-became-nullable: ERR
    ("response-property-became-nullable", BREAKING, "a field that may be null"),
    # oasdiff response-property-became-not-nullable: INFO
    ("response-property-became-not-nullable", COMPATIBLE, "a field that is never null"),
    ("response-enum-added", COMPATIBLE, "a field limited to listed values"),
    # oasdiff response-property-enum-value-removed: INFO; breaking here when ours answers the value in this response
    ("response-enum-value-removed", BREAKING, "a value this response answers is not listed"),
    ("response-enum-disjoint", BREAKING, "no value ours allows is listed"),
    # oasdiff response-property-enum-value-removed: INFO
    ("response-enum-unanswered-value-removed", COMPATIBLE, "values this response never answers are not listed"),
    # oasdiff response-property-enum-value-added: WARN
    ("response-error-code-added", ADDITIVE, "a new value of an error body's field (an error code)"),
    # oasdiff response-property-enum-value-added: WARN; breaking here: a success body is read without a status to
    # fall back on
    ("response-enum-value-added", BREAKING, "a new value of a success body's field"),
    # oasdiff response-property-enum-value-added: WARN. Silent here: the values are ones ours gives the same field
    # under another status of this operation (springdoc's ResultStatus is one Java enum, SUCCESS|FAILURE, in every
    # envelope), so theirs does not say which status carries which; it does not say otherwise.
    ("response-enum-shared-with-other-statuses", SILENT, "values ours gives the field under another status"),
    # oasdiff response-required-property-removed: ERR
    ("response-required-property-removed", BREAKING, "a field ours requires is not declared"),
    ("response-optional-property-never-present", COMPATIBLE, "an optional field of ours is never present"),
    # oasdiff response-optional-property-removed: WARN
    ("response-optional-property-removed", COMPATIBLE, "an optional field of ours is not declared"),
    # oasdiff response-property-became-optional: ERR, where theirs writes a required list that leaves the field out
    ("response-property-became-optional", BREAKING, "a field ours requires is declared optional"),
    # oasdiff response-property-became-optional: ERR. Silent here: the schema writes no `required` at all (springdoc
    # without @Schema(requiredMode)), so it says nothing of presence (issue 16: "a field not marked required").
    ("response-required-unmarked", SILENT, "a field ours requires is listed, in a schema that marks none required"),
    # oasdiff response-property-became-required: INFO
    ("response-property-became-required", COMPATIBLE, "an optional field of ours is always present"),
    ("response-property-added-where-closed", BREAKING, "a new field where ours allows no other"),
    # oasdiff response-optional-property-added: INFO
    ("response-property-added", ADDITIVE, "a new field"),
    ("response-additional-properties-opened", BREAKING, "other fields allowed where ours allows none"),
    ("response-additional-properties-closed", COMPATIBLE, "no other field allowed"),
)


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

    @property
    def has_breaking(self) -> bool:
        return any(difference.breaking for difference in self.differences)

    def count(self, severity: str) -> int:
        return sum(1 for difference in self.differences if difference.severity == severity)

    def headline(self) -> str:
        if not self.differences:
            return f"the published description declares {self.operation} as openapi.yaml does"
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
        lines = [f"# Published description vs openapi.yaml: `{self.operation}`", ""]
        if self.found_at is not None:
            lines += [f"Found in the published description as `{self.found_at}`.", ""]
        lines.append(f"**{self.headline()}.**")
        if self.differences:
            lines += ["", "| severity | id | where | change | why it is classified so |",
                      "| --- | --- | --- | --- | --- |"]
            lines += [f"| {d.severity} | `{d.id}` | `{_cell(d.where)}` | {_cell(d.change)} | {_cell(d.reason)} |"
                      for d in self.differences]
        return "\n".join(lines) + "\n"

    def to_lines(self) -> list[str]:
        """A headline, then one line per difference, breaking first (for a terminal summary)."""
        return [f"published spec: {self.headline()}",
                *(f"  {d.severity.upper():<10} {d.where}: {d.change} [{d.id}] ({d.reason})"
                  for d in self.differences)]


def parse(text: str, source: str = "the published description") -> dict[str, Any]:
    """A published description's text, ``/apiops/openapi.json`` or ``.yaml``, as a checked document.

    JSON is read as JSON first: YAML reads most JSON too, but not JSON indented with tabs. YAML is read
    safely, with libyaml where PyYAML was built with it (a Manager's whole API is hundreds of paths). Raises
    :class:`PublishedSpecError`.
    """
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PublishedSpecError(f"{source}: neither JSON nor YAML ({first})") from None
    return check(document, source)


def check(document: Any, source: str = "the published description") -> dict[str, Any]:
    """``document`` if it is an OpenAPI 3.x document with ``paths``; else one :class:`PublishedSpecError`.

    Only what the comparison cannot do without is checked: a description with an error elsewhere
    (a gateway's generator is not always strict) is still compared, and its errors in the operation
    become differences.
    """
    if not isinstance(document, Mapping):
        raise PublishedSpecError(f"{source}: not an OpenAPI document (the top level is {_kind(document)}, "
                                 "not a mapping)")
    version = document.get("openapi")
    if version is None and "swagger" in document:
        raise PublishedSpecError(f"{source}: Swagger {document['swagger']}, not OpenAPI 3.x")
    if not isinstance(version, str) or not re.match(r"3\.\d", version):
        raise PublishedSpecError(f"{source}: not OpenAPI 3.x (openapi: {version!r})")
    if not isinstance(document.get("paths"), Mapping):
        raise PublishedSpecError(f"{source}: OpenAPI {version} without paths")
    return dict(document)


def compare(ours: Mapping[str, Any], theirs: Mapping[str, Any], operation_id: str = OPERATION_ID) -> Comparison:
    """Compare the operation ``operation_id`` of OUR contract with the same operation in THEIR description.

    THEIR operation is found by method and path shape, not by name: literal segments equal,
    parameters in the same positions (``{project}`` matches ``{projectName}``), a leading
    ``/apiops`` and the trailing slash ignored for finding it (the slash is then compared). Raises
    :class:`PublishedSpecError` when either document is unusable or ours lacks the operation.
    """
    our_document = check(ours, "our contract")
    their_document = check(theirs)
    found = _operation_by_id(our_document, operation_id)
    if found is None:
        raise PublishedSpecError(f"our contract: no operation {operation_id}")
    path, method, item, operation = found
    comparer = _Comparer(our_document, their_document)
    comparison = Comparison(operation_id, f"{method.upper()} {path}", None)
    theirs_found = comparer.find(path, method, operation)
    if theirs_found is not None:
        their_path, their_item, their_operation = theirs_found
        comparison.found_at = f"{method.upper()} {their_path}"
        comparer.operation(path, item, operation, their_path, their_item, their_operation)
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    comparison.differences = sorted(comparer.differences, key=lambda d: rank.get(d.severity, len(rank)))
    return comparison


# -- finding the operation ------------------------------------------------------------------------------
def _operation_by_id(document: dict[str, Any], operation_id: str) -> tuple[str, str, dict[str, Any],
                                                                                 dict[str, Any]] | None:
    for path, raw in document["paths"].items():
        item = resolve(document, raw)
        for method in METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return str(path), method, item or {}, operation
    return None


@dataclass(frozen=True)
class _Template:
    """A path key's shape: literal segments (None for a parameter), parameter names, trailing slash."""

    segments: tuple[str | None, ...]
    names: tuple[str, ...]
    slash: bool

    @classmethod
    def of(cls, path: str) -> _Template:
        parts = [part for part in path.split("/") if part]
        if parts and parts[0] == API_PREFIX:
            parts = parts[1:]
        parameter = [part.startswith("{") and part.endswith("}") and len(part) > 2 for part in parts]
        return cls(tuple(None if is_parameter else part for part, is_parameter in zip(parts, parameter, strict=True)),
                   tuple(part[1:-1] for part, is_parameter in zip(parts, parameter, strict=True) if is_parameter),
                   path.endswith("/") and bool(parts))


def _gone(ours: _Template, theirs: _Template) -> list[str]:
    """Our path parameters that THEIR path, with fewer parameters, has no place for: those whose preceding
    literal segment is followed by no parameter in theirs (else the last ones)."""
    if len(theirs.names) >= len(ours.names):
        return []

    def after(template: _Template) -> list[str | None]:
        """The literal segment before each parameter (None: none before it)."""
        return [template.segments[index - 1] if index else None
                for index, segment in enumerate(template.segments) if segment is None]

    places = set(after(theirs))
    gone = [name for name, place in zip(ours.names, after(ours), strict=True) if place not in places]
    return gone or list(ours.names[len(theirs.names):])


# -- the comparison ---------------------------------------------------------------------------------------
class _Comparer:
    def __init__(self, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
        self.ours = ours
        self.theirs = theirs
        self.differences: list[Difference] = []
        self._comparing: set[tuple[int, int]] = set()  # the schema pairs being compared (recursive schemas)
        self._enums: dict[str, dict[str, list[Any]]] = {}  # our status -> top-level field -> its enum
        self._status: str | None = None  # the status whose response is being compared

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
                    else f"{_kind(node)}, not an object")
            self.add("ref-unresolved", where, what,
                     f"{side} cannot be read here (only local `#/...` references to an existing object are "
                     "followed), so nothing there can be relied on or compared")
        return found

    # -- the operation ----------------------------------------------------------------------------------
    def find(self, path: str, method: str, operation: dict[str, Any]) -> tuple[str, dict[str, Any],
                                                                               dict[str, Any]] | None:
        """THEIR path key, path item and operation for ours; a difference when there is none."""
        wanted = _Template.of(path)
        candidates: list[tuple[tuple[bool, bool, bool], str, dict[str, Any], dict[str, Any]]] = []
        for key, raw in self.theirs["paths"].items():
            template = _Template.of(str(key))
            if template.segments != wanted.segments:
                continue
            item = self.deref(self.theirs, raw, "path")
            candidate = (item or {}).get(method)
            if isinstance(candidate, dict):
                score = (template.slash == wanted.slash, template.names == wanted.names,
                         candidate.get("operationId") == operation.get("operationId"))
                candidates.append((score, str(key), item or {}, candidate))
        if candidates:
            _, key, item, candidate = max(candidates, key=lambda found: found[0])
            return key, item, candidate
        elsewhere = _operation_by_id(self.theirs, str(operation.get("operationId")))
        gone = _gone(wanted, _Template.of(elsewhere[0])) if elsewhere is not None and elsewhere[1] == method else []
        if elsewhere is not None and gone:
            for name in gone:
                self.add("path-parameter-removed", f"parameters.{name}", f"`{path}` → `{elsewhere[0]}`",
                         f"the gateway declares the operation at a path without {{{name}}}, so the URL clients "
                         "build from ours, which names it, reaches nothing")
        elif elsewhere is not None and elsewhere[1] == method:
            self.add("operation-moved", "path", f"`{path}` → `{elsewhere[0]}`",
                     "the gateway declares the operation at another path, so the URL clients build from ours "
                     "reaches nothing")
        else:
            self.add("operation-removed", "operation", f"`{method.upper()} {path}` → absent",
                     "the gateway no longer declares the operation")
        return None

    def operation(self, path: str, item: dict[str, Any], operation: dict[str, Any],
                  their_path: str, their_item: dict[str, Any], their_operation: dict[str, Any]) -> None:
        self.path(path, their_path)
        self.parameters(path, item, operation, their_path, their_item, their_operation)
        self.request_body(operation, their_operation)
        self.security(operation, their_operation)
        self.responses(operation, their_operation)
        if their_operation.get("deprecated") is True and operation.get("deprecated") is not True:
            self.add("operation-deprecated", "deprecated", "false → true",
                     "still declared and answered as before, but the gateway announces its removal")

    def path(self, path: str, their_path: str) -> None:
        ours, theirs = _Template.of(path), _Template.of(their_path)
        if ours.slash != theirs.slash:
            self.add("path-trailing-slash-changed", "path", f"`{path}` → `{their_path}`",
                     "OpenAPI matches paths literally, so the URL a client builds from ours, "
                     f"{'with' if ours.slash else 'without'} the trailing slash (base-url.md ends every endpoint "
                     "with one), is not one the gateway declares")
        for name, their_name in zip(ours.names, theirs.names, strict=True):
            if name != their_name:
                self.add("path-parameter-renamed", f"parameters.{name}.name", f"`{name}` → `{their_name}`",
                         "path parameters are matched by position; their names never go on the wire")

    # -- parameters and body -----------------------------------------------------------------------------
    def declared(self, document: dict[str, Any], item: dict[str, Any],
                 operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        """(in, name) -> parameter: the path item's, overridden by the operation's (OpenAPI 3.0)."""
        parameters: dict[tuple[str, str], dict[str, Any]] = {}
        for level in (item.get("parameters"), operation.get("parameters")):
            for raw in level if isinstance(level, list) else []:
                parameter = self.deref(document, raw, "parameters")
                name, location = (parameter or {}).get("name"), (parameter or {}).get("in")
                if parameter is not None and isinstance(name, str) and isinstance(location, str):
                    parameters[(location, name.lower() if location == "header" else name)] = parameter
        return parameters

    def parameters(self, path: str, item: dict[str, Any], operation: dict[str, Any],
                   their_path: str, their_item: dict[str, Any], their_operation: dict[str, Any]) -> None:
        ours = self.declared(self.ours, item, operation)
        theirs = self.declared(self.theirs, their_item, their_operation)
        for name, their_name in zip(_Template.of(path).names, _Template.of(their_path).names, strict=True):
            where = f"parameters.{name}"
            their_parameter = theirs.get(("path", their_name))
            if their_parameter is None:
                self.add("path-parameter-undeclared", where, "declared → not declared",
                         "without a declaration any value is allowed, which is looser than ours")
            else:
                self.parameter(where, ours.get(("path", name), {}), their_parameter)
        for key in sorted(theirs.keys() - ours.keys()):
            location, name = key
            if location == "path" or (location == "header" and name in IGNORED_HEADERS):
                continue
            if theirs[key].get("required") is True:
                self.add("request-parameter-required-added", f"parameters.{name}", f"new required {location} parameter",
                         "a client written against ours does not send it")
            else:
                self.add("request-parameter-optional-added", f"parameters.{name}", f"new optional {location} parameter",
                         "a client may leave it out")
        for key in sorted(ours.keys() - theirs.keys()):
            location, name = key
            if location != "path" and not (location == "header" and name in IGNORED_HEADERS):
                self.add("request-parameter-removed", f"parameters.{name}", f"{location} parameter → not declared",
                         "the gateway no longer reads it; a client that sends it sends one value too many")

    def parameter(self, where: str, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
        """A parameter may accept more than ours (compatible), never less (breaking)."""
        if ours.get("required") is True and theirs.get("required") is not True:
            self.add("path-parameter-became-optional", f"{where}.required", "true → false",
                     "a client of ours always sends it anyway")
        schema = self.deref(self.ours, ours.get("schema"), f"{where}.schema") or {}
        their_schema = self.deref(self.theirs, theirs.get("schema"), f"{where}.schema") or {}
        where = f"{where}.schema"
        kind, their_kind = schema.get("type"), their_schema.get("type")
        if their_kind is not None and their_kind != kind:
            self.add("path-parameter-type-changed", f"{where}.type", f"`{kind or 'any'}` → `{their_kind}`",
                     f"stricter: values ours allows are not all of type {their_kind}")
        elif kind is not None and their_kind is None:
            self.add("path-parameter-type-removed", f"{where}.type", f"`{kind}` → any", "looser: any value is accepted")
        self.length(where, "minLength", schema.get("minLength"), their_schema.get("minLength"), stricter=_greater)
        self.length(where, "maxLength", schema.get("maxLength"), their_schema.get("maxLength"), stricter=_smaller)
        self.pattern(where, schema, their_schema)
        enum, their_enum = schema.get("enum"), their_schema.get("enum")
        if isinstance(their_enum, list) and (not isinstance(enum, list) or _missing(enum, their_enum)):
            self.add("path-parameter-enum-narrowed", f"{where}.enum",
                     f"{_values(enum) if isinstance(enum, list) else 'any'} → {_values(their_enum)}",
                     "stricter: values ours allows are no longer accepted")

    def length(self, where: str, keyword: str, ours: Any, theirs: Any, *, stricter: Any) -> None:
        if ours == theirs:
            return
        change = f"{ours if ours is not None else 'none'} → {theirs if theirs is not None else 'none'}"
        if stricter(ours, theirs):
            self.add("path-parameter-length-stricter", f"{where}.{keyword}", change,
                     "stricter: names of a length ours allows are refused")
        else:
            self.add("path-parameter-length-looser", f"{where}.{keyword}", change,
                     "looser: every name ours allows is still accepted")

    def pattern(self, where: str, schema: dict[str, Any], their_schema: dict[str, Any]) -> None:
        """Whether one regular expression accepts less than another is undecidable here: it is tried on
        PROBE_NAMES, and a probe ours accepts that theirs rejects is the evidence of a stricter pattern."""
        pattern, their_pattern = schema.get("pattern"), their_schema.get("pattern")
        if pattern == their_pattern:
            return
        where, change = f"{where}.pattern", f"`{pattern or 'none'}` → `{their_pattern or 'none'}`"
        if their_pattern is None:
            self.add("path-parameter-pattern-removed", where, change,
                     "looser: no pattern, so every name ours allows is accepted")
            return
        accepts, their_accepts = _accepts(schema), _matcher(their_pattern)
        if their_accepts is None:
            self.add("path-parameter-pattern-unreadable", where, change,
                     "their pattern is not a regular expression that can be read, so no name can be shown to be "
                     "accepted")
            return
        refused = [name for name in PROBE_NAMES if accepts(name) and not their_accepts(name)]
        if refused:
            self.add("path-parameter-pattern-stricter", where, change,
                     f"stricter: it refuses {refused[0]!r}, a name ours accepts")
        else:
            self.add("path-parameter-pattern-looser", where, change,
                     "every probe name ours accepts is accepted too (the names the scenarios send included)")

    def request_body(self, operation: dict[str, Any], their_operation: dict[str, Any]) -> None:
        body = self.deref(self.ours, operation.get("requestBody"), "requestBody")
        their_body = self.deref(self.theirs, their_operation.get("requestBody"), "requestBody")
        if body is not None or their_body is None:
            return  # ours has no body for the DELETE; bodies of other operations are not compared
        if their_body.get("required") is True:
            self.add("request-body-required-added", "requestBody", "none → required",
                     "a client written against ours sends no body")
        else:
            self.add("request-body-optional-added", "requestBody", "none → optional", "a client may go on sending none")

    # -- security ---------------------------------------------------------------------------------------
    def requirements(self, document: dict[str, Any], operation: dict[str, Any]) -> list[frozenset[str]]:
        """Each security requirement of the operation (its own, else the document's) as scheme kinds."""
        declared = operation["security"] if "security" in operation else document.get("security")
        schemes = (document.get("components") or {}).get("securitySchemes") or {}
        requirements = []
        for requirement in declared if isinstance(declared, list) else []:
            kinds = set()
            for name in requirement if isinstance(requirement, dict) else []:
                scheme = self.deref(document, schemes.get(name), "security") if name in schemes else None
                kinds.add(_scheme_kind(scheme) if scheme is not None else f"undefined scheme {name}")
            requirements.append(frozenset(kinds))
        return requirements

    def security(self, operation: dict[str, Any], their_operation: dict[str, Any]) -> None:
        """A client of ours satisfies one of our requirements; theirs must accept what it sends."""
        ours = self.requirements(self.ours, operation)
        theirs = self.requirements(self.theirs, their_operation)
        anonymous, their_anonymous = (not found or frozenset() in found for found in (ours, theirs))
        change = f"{_requirements(ours)} → {_requirements(theirs)}"
        if not anonymous and "security" not in their_operation and "security" not in self.theirs:
            self.add("security-undeclared", "security", f"{_requirements(ours)} → not declared",
                     "the description declares no security requirement at all (a generator such as springdoc "
                     "writes none unless configured to): it does not say the operation is open, so the suite's "
                     "401 rules, which rest on authentication.md, are not contradicted")
        elif their_anonymous and not anonymous:
            self.add("security-declared-anonymous", "security", change,
                     "ours lets only a valid token through (authentication.md: every endpoint requires one) and "
                     "the suite's 401 rules rest on it; theirs lets anyone delete")
        elif not anonymous and any(not any(their <= our for their in theirs) for our in ours):
            self.add("security-scheme-changed", "security", change,
                     "what a client of ours sends is no longer enough to authenticate")
        elif set(theirs) - set(ours) and not their_anonymous:
            self.add("security-alternative-added", "security", change,
                     "another way to authenticate; the one ours documents still works")

    # -- responses --------------------------------------------------------------------------------------
    def responses(self, operation: dict[str, Any], their_operation: dict[str, Any]) -> None:
        ours = {str(status): response for status, response in (operation.get("responses") or {}).items()}
        theirs = {str(status).upper(): response
                  for status, response in (their_operation.get("responses") or {}).items()}
        spelled = {str(status).upper(): str(status) for status in their_operation.get("responses") or {}}
        self._enums = {status: self.top_level_enums(response) for status, response in ours.items()}
        for status, response in ours.items():
            where = f"responses.{status}"
            their_response = theirs.get(status.upper())
            if their_response is None and f"{status[:1]}XX" in theirs:
                their_response = theirs[f"{status[:1]}XX"]
                self.add("response-status-range", where, f"{status} → {status[:1]}XX",
                         "still declared, as part of a range of statuses, whose schema is compared instead")
            if their_response is None and status.startswith("2"):
                self.add("response-success-status-removed", where, "declared → not declared",
                         "the success clients are written for is not declared: the operation does not answer as ours")
                continue
            if their_response is None:
                self.add("response-status-undeclared", where, "declared → not declared",
                         "the gateway does not say it answers this status, nor that it answers the case otherwise: "
                         "a description may promise fewer statuses (a generator lists few), so it is not evidence "
                         "either way; the run's answers are")
                continue
            self._status = status
            self.response(where, status, response, their_response)
        for status in sorted(theirs.keys() - {status.upper() for status in ours}):
            if not (status.endswith("XX") and any(our.startswith(status[:1]) for our in ours)):
                self.add("response-status-added", f"responses.{spelled[status]}", "absent → declared",
                         "a new answer, to a case ours does not describe; clients of ours never asked for it")

    def response(self, where: str, status: str, response: Any, their_response: Any) -> None:
        found, their_found = self.deref(self.ours, response, where), self.deref(self.theirs, their_response, where)
        if found is None or their_found is None:
            return
        content = {_media(media): value for media, value in (found.get("content") or {}).items()}
        their_content = {_media(media): value for media, value in (their_found.get("content") or {}).items()}
        used: set[str] = set()
        for media, value in content.items():
            place = f"{where}.schema" if len(content) == 1 else f"{where}.content.{media}.schema"
            match = media if media in their_content else _range_for(media, their_content)
            if match is None:
                offered = ", ".join(sorted(their_content)) or "no body"
                self.add("response-media-type-removed", f"{where}.content", f"{media} → {offered}",
                         f"clients parse the body as {media}, which the gateway no longer declares")
                used |= their_content.keys()  # said by this change already, not additions
                continue
            used.add(match)
            if match != media:
                self.add("response-media-type-range", f"{where}.content", f"{media} → {match}",
                         f"a range that includes {media}: no longer promised, not contradicted; its schema is compared")
            media_object = self.deref(self.ours, value, f"{where}.content") or {}
            their_media_object = self.deref(self.theirs, their_content[match], f"{where}.content") or {}
            self.schema_of(place, media_object, their_media_object, self.examples(media_object), _is_error(status))
        for media in sorted(their_content.keys() - used - content.keys()):
            self.add("response-media-type-added", f"{where}.content", f"+ {media}",
                     "another representation; a client of ours gets the one it reads")

    def top_level_enums(self, response: Any) -> dict[str, list[Any]]:
        """Property -> the values ours lists for it, at the top level of a response's JSON body."""
        found = resolve(self.ours, response) or {}
        enums: dict[str, list[Any]] = {}
        for media, media_object in (found.get("content") or {}).items():
            schema = self.flat_quietly(self.ours, (resolve(self.ours, media_object) or {}).get("schema"))
            for name, raw in ((schema or {}).get("properties") or {}).items():
                enum = (self.flat_quietly(self.ours, raw) or {}).get("enum")
                if isinstance(enum, list) and _media(media) in (JSON_MEDIA, "*/*"):
                    enums.setdefault(str(name), []).extend(enum)
        return enums

    def flat_quietly(self, document: dict[str, Any], raw: Any) -> dict[str, Any] | None:
        """:meth:`flat`, without reporting an unresolved reference (it is reported where it is compared)."""
        kept = len(self.differences)
        found = self.flat(document, raw, "")
        del self.differences[kept:]
        return found

    def examples(self, media_object: dict[str, Any]) -> list[Any]:
        """The bodies ours shows for this response of this operation: what it answers, and clients rely on.

        The response's own examples, not the schema's: a schema shared by many operations shows a
        generic example (Error400 shows ``validation_failed``), not what this operation answers.
        """
        found = [media_object["example"]] if "example" in media_object else []
        for example in (media_object.get("examples") or {}).values():
            value = resolve(self.ours, example)
            if value is not None and "value" in value:
                found.append(value["value"])
        return found

    def schema_of(self, where: str, media_object: dict[str, Any], their_media_object: dict[str, Any],
                  examples: list[Any], error: bool) -> None:
        if "schema" in media_object and "schema" not in their_media_object:
            self.add("response-schema-removed", where, "described → no schema",
                     "the gateway no longer says what the body holds, so clients cannot rely on any field")
            return
        self.schema(where, media_object.get("schema"), their_media_object.get("schema"), examples, error)

    # -- schemas ---------------------------------------------------------------------------------------
    def schema(self, where: str, raw: Any, their_raw: Any, examples: list[Any], error: bool) -> None:
        """A response schema: theirs may promise less variety than ours, never more."""
        if raw is None:
            return  # ours promises nothing here: anything theirs says is narrower
        their_raw = _ANY if their_raw is None else their_raw
        pair = (id(resolve(self.ours, raw)), id(resolve(self.theirs, their_raw)))
        ours, theirs = self.flat(self.ours, raw, where), self.flat(self.theirs, their_raw, where)
        if ours is None or theirs is None or pair in self._comparing or len(self._comparing) >= MAX_DEPTH:
            return  # unreadable (reported), a recursive schema met again inside itself, or nested too deep
        self._comparing.add(pair)
        try:
            self.compare_schemas(where, ours, theirs, examples, error)
        finally:
            self._comparing.discard(pair)

    def compare_schemas(self, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any],
                        error: bool) -> None:
        if _alternatives(theirs) or _alternatives(ours):
            if json.dumps(theirs, sort_keys=True, default=str) != json.dumps(ours, sort_keys=True, default=str):
                if _alternatives(theirs):
                    self.add("response-alternatives-added", where, "one shape → several (oneOf/anyOf)",
                             "a body may take shapes ours does not describe; not compared further")
                else:
                    self.add("response-alternatives-removed", where, "several shapes (oneOf/anyOf) → one",
                             "theirs promises one of the shapes ours allows; not compared further")
            return
        self.types(where, ours, theirs)
        self.enum(where, ours, theirs, examples, error)
        self.properties(where, ours, theirs, examples, error)
        items, their_items = ours.get("items"), theirs.get("items")
        if items is not None and "array" in _types(ours):
            self.schema(f"{where}.items", items, their_items,
                        [item for example in examples if isinstance(example, list) for item in example], error)

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

    def types(self, where: str, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
        kinds, their_kinds = _types(ours) - {"null"}, _types(theirs) - {"null"}
        if kinds and not their_kinds:
            self.add("response-property-type-removed", f"{where}.type", f"`{_names(kinds)}` → any",
                     f"clients read it as {_names(kinds)}, and theirs allows any value")
        elif kinds and not all(_covered(kind, kinds) for kind in their_kinds):
            self.add("response-property-type-changed", f"{where}.type", f"`{_names(kinds)}` → `{_names(their_kinds)}`",
                     f"clients read it as {_names(kinds)}")
        elif kinds and their_kinds != kinds:
            self.add("response-property-type-narrowed", f"{where}.type", f"`{_names(kinds)}` → `{_names(their_kinds)}`",
                     "narrower: every value theirs allows is one ours allows")
        nullable, their_nullable = _nullable(ours), _nullable(theirs)
        if their_nullable and not nullable:
            self.add("response-property-became-nullable", f"{where}.nullable", "false → true",
                     "clients may get null where ours promises a value")
        elif nullable and not their_nullable:
            self.add("response-property-became-not-nullable", f"{where}.nullable", "true → false",
                     "narrower: never null any more")

    def enum(self, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any], error: bool) -> None:
        enum, their_enum = ours.get("enum"), theirs.get("enum")
        where = f"{where}.enum"
        if not isinstance(enum, list):
            if isinstance(their_enum, list):
                self.add("response-enum-added", where, f"any → {_values(their_enum)}", "narrower: only listed values")
            return
        relied = [value for value in enum if _key(value) in {_key(example) for example in examples}]
        if isinstance(their_enum, list):
            removed, added = _missing(their_enum, enum), _missing(enum, their_enum)
        else:
            removed, added = [], ["any value"]
        if enum and isinstance(their_enum, list) and not _missing(removed, enum):
            self.add("response-enum-disjoint", where, f"{_values(enum)} → {_values(their_enum)}",
                     "no value ours allows is one theirs allows, so every answer ours promises contradicts theirs")
            return
        shared = self.shared(where, added) if isinstance(their_enum, list) else []
        if shared:
            self.add("response-enum-shared-with-other-statuses", where, f"+ {_values(shared)}",
                     "values ours gives this field under another status of the operation: theirs describes one "
                     "envelope for every status and does not say which status carries which value")
            added = [value for value in added if value not in shared]
        for value in removed:
            if value in relied:
                self.add("response-enum-value-removed", where, f"- {_values([value])}",
                         "ours answers it here, as this response's example shows, so clients branch on it")
        unrelied = [value for value in removed if value not in relied]
        if unrelied:
            self.add("response-enum-unanswered-value-removed", where, f"- {_values(unrelied)}",
                     "the gateway promises fewer values, so a client that handles ours handles theirs, and "
                     "this response's example in ours answers none of these")
        if added:
            change = f"+ {_values(added) if isinstance(their_enum, list) else 'any value'}"
            if error:
                self.add("response-error-code-added", where, change,
                         "a new error code under a status whose meaning is unchanged: clients branch on the status "
                         "first and must tolerate codes they do not know (error-handling.md)")
            else:
                self.add("response-enum-value-added", where, change,
                         "clients of a success body may switch over the values ours lists")

    def shared(self, where: str, added: list[Any]) -> list[Any]:
        """The ``added`` values of a top-level field's enum that ours lists for that field under another status."""
        status = self._status
        prefix = f"responses.{status}."
        if status is None or not where.startswith(prefix):
            return []
        parts = where[len(prefix):].split(".")
        if len(parts) < 4 or parts[-1] != "enum" or parts[-3] != "properties" or "properties" in parts[:-3]:
            return []  # not a field of the body's top level
        name = parts[-2]
        elsewhere = [value for other, enums in self._enums.items() if other != status
                     for value in enums.get(name, [])]
        return [value for value in added if _key(value) in {_key(other) for other in elsewhere}]

    def properties(self, where: str, ours: dict[str, Any], theirs: dict[str, Any], examples: list[Any],
                   error: bool) -> None:
        declared, their_declared = ours.get("properties") or {}, theirs.get("properties") or {}
        required, their_required = set(ours.get("required") or []), set(theirs.get("required") or [])
        closed, their_closed = ours.get("additionalProperties") is False, theirs.get("additionalProperties") is False
        reader = "error-handling.md's format promises it" if error else "clients read it"
        for name in declared:
            place = f"{where}.properties.{name}"
            if name in their_declared or name in their_required:
                narrowed = [example[name] for example in examples if isinstance(example, dict) and name in example]
                self.schema(place, declared[name], their_declared.get(name, _ANY), narrowed, error)
            elif name in required:
                self.add("response-required-property-removed", place, "required → not declared",
                         f"ours requires it and {reader}")
            elif their_closed:
                self.add("response-optional-property-never-present", place, "optional → never present",
                         "ours makes it optional, so clients already handle its absence")
            else:
                self.add("response-optional-property-removed", place, "optional → not declared",
                         "ours makes it optional, so clients already handle its absence")
        for name in sorted(required - their_required):
            if name in their_declared and not their_required:
                self.add("response-required-unmarked", f"{where}.required", f"`{name}` required → not marked required",
                         "theirs lists it, in a schema that marks no field required (a generator such as springdoc "
                         "writes no `required`): silent on whether it is always there, not saying it may be absent")
            elif name in their_declared:
                self.add("response-property-became-optional", f"{where}.required", f"`{name}` required → optional",
                         f"ours requires it and {reader} without checking it is there")
        for name in sorted(their_required - required):
            if name in declared:
                self.add("response-property-became-required", f"{where}.required", f"`{name}` optional → required",
                         "narrower: always present")
        for name in their_declared:
            if name in declared:
                continue
            place = f"{where}.properties.{name}"
            if closed:
                self.add("response-property-added-where-closed", place, "absent → declared",
                         "ours allows no other field here (additionalProperties: false)")
            else:
                kind = "always present" if name in their_required else "optional"
                self.add("response-property-added", place, f"absent → declared ({kind})",
                         "a new field; clients ignore fields they do not know (ours allows other properties)")
        if closed and not their_closed:
            self.add("response-additional-properties-opened", f"{where}.additionalProperties", "false → allowed",
                     "ours promises no other field, and clients may reject one they do not know")
        elif their_closed and not closed and (declared or their_declared):
            self.add("response-additional-properties-closed", f"{where}.additionalProperties", "allowed → false",
                     "narrower: no other field")


# -- helpers -------------------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "empty"}.get(type(value),
                                                                                     type(value).__name__)


def _media(media: Any) -> str:
    return str(media).split(";")[0].strip().lower()


def _range_for(media: str, offered: Mapping[str, Any]) -> str | None:
    """A media range of ``offered`` (``*/*``, ``application/*``) that includes ``media``."""
    for candidate in (f"{media.split('/')[0]}/*", "*/*"):
        if candidate in offered:
            return candidate
    return None


def _is_error(status: str) -> bool:
    return status[:1] in {"4", "5"} or status == "default"


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


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _missing(present: list[Any], wanted: list[Any]) -> list[Any]:
    """The values of ``wanted`` that ``present`` lacks, in ``wanted``'s order."""
    keys = {_key(value) for value in present}
    return [value for value in wanted if _key(value) not in keys]


def _values(values: Iterable[Any]) -> str:
    return ", ".join(f"`{value}`" for value in values)


def _greater(ours: Any, theirs: Any) -> bool:
    """minLength: theirs is stricter when it is larger."""
    return isinstance(theirs, int) and theirs > (ours if isinstance(ours, int) else 0)


def _smaller(ours: Any, theirs: Any) -> bool:
    """maxLength: theirs is stricter when it is smaller, or when ours had none."""
    return isinstance(theirs, int) and (not isinstance(ours, int) or theirs < ours)


def _matcher(pattern: Any) -> Any:
    """A predicate for a JSON Schema ``pattern`` (unanchored search); None when it does not compile."""
    if not isinstance(pattern, str):
        return None
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    return lambda name: compiled.search(name) is not None


def _accepts(schema: dict[str, Any]) -> Any:
    """A predicate: whether OUR parameter schema allows a name (its pattern, if it compiles, and lengths)."""
    matches = _matcher(schema.get("pattern")) or (lambda name: True)
    low, high = schema.get("minLength"), schema.get("maxLength")

    def accepts(name: str) -> bool:
        return (bool(matches(name)) and (not isinstance(low, int) or len(name) >= low)
                and (not isinstance(high, int) or len(name) <= high))

    return accepts


def _scheme_kind(scheme: dict[str, Any]) -> str:
    """What a client sends for a security scheme: ``http bearer``, ``apiKey header X-Key``, ``oauth2`` ..."""
    kind = str(scheme.get("type"))
    if kind == "http":
        return f"http {str(scheme.get('scheme', '')).lower()}"
    if kind == "apiKey":
        return f"apiKey {scheme.get('in')} {scheme.get('name')}"
    return kind


def _requirements(requirements: list[frozenset[str]]) -> str:
    if not requirements:
        return "none"
    return " or ".join(" and ".join(sorted(kinds)) or "anonymous" for kinds in requirements)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a ``|`` would end the cell, a newline the row."""
    return text.replace("|", "\\|").replace("\n", " ")


# -- which edition a description describes ---------------------------------------------------------------------------
def editions_described(document: Mapping[str, Any], operation_id: str = OPERATION_ID) -> list[Edition]:
    """The editions whose envelope the description's DELETE declares: the properties of its 200 body carry an
    edition's success marker and the properties of an error body its message field (a springdoc description
    writes no ``required``, so properties, not required lists, are what it says)."""
    doc = dict(document)
    found = _operation_by_id(doc, operation_id)
    if found is None:
        return []
    responses = found[3].get("responses") or {}
    success = _properties(doc, responses.get("200"))
    errors = [_properties(doc, response) for status, response in responses.items() if _is_error(str(status))]
    matched = []
    for edition in editions.all_editions():
        if not set(edition.success_marker(operation_id)) <= set(success):
            continue
        fields = {*edition.envelope.failure, edition.envelope.message} | (
            {edition.envelope.code} if edition.envelope.code else set())
        if errors and not any(fields <= set(properties) for properties in errors):
            continue
        matched.append(edition)
    return matched


def _properties(document: dict[str, Any], response: Any) -> dict[str, Any]:
    response = resolve(document, response) or {}
    content = response.get("content") or {}
    media = next((value for key, value in content.items() if _media(key) in (JSON_MEDIA, "*/*")), None)
    schema = resolve(document, (media or {}).get("schema")) or {}
    return dict(schema.get("properties") or {})


def recognise(document: Mapping[str, Any], operation_id: str = OPERATION_ID) -> Edition | None:
    """The one edition whose envelope the description's DELETE declares (:func:`editions_described`), or None when
    it declares none, or several alike."""
    described = editions_described(document, operation_id)
    return described[0] if len(described) == 1 else None


def compare_recognised(theirs: Mapping[str, Any], operation_id: str = OPERATION_ID) -> tuple[Edition, Comparison]:
    """The edition THEIR description speaks, and the comparison of its DELETE with that edition's contract:
    ``compare(spec.load(edition).document, theirs)``. One :class:`PublishedSpecError` when it speaks none."""
    document = check(theirs)
    edition = recognise(document, operation_id)
    if edition is None:
        described = editions_described(document, operation_id)
        alike = f"fits {' and '.join(e.id for e in described)} alike" if described else "speaks no edition's envelope"
        raise PublishedSpecError(f"the published description: its DELETE {alike} "
                                 f"({', '.join(editions.ids())} are known)")
    return edition, compare(spec.load(edition).document, document, operation_id)


def supporting_paths(document: Mapping[str, Any], operation_ids: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Our operation id -> its path as the description declares it under any of its ids, relative to the API root
    (``/apiops`` dropped)."""
    found = {}
    prefix = f"/{API_PREFIX}"
    for ours, theirs in operation_ids.items():
        for operation_id in theirs:
            located = _operation_by_id(dict(document), operation_id)
            if located is not None:
                path = located[0]
                found[ours] = path[len(prefix):] if path.startswith(prefix + "/") else path
                break
    return found
