"""How a difference between THEIR published description and OUR contract is classified: severities and the one table.

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
table of id, severity and statement; a difference carries its id. Where oasdiff rates the
same change, its rule id and level (ERR, WARN, INFO) are cited beside the entry, and where the
severity here differs, why; an id spelled as oasdiff's is the same change, rated alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.spec import BREAKING, COMPATIBLE

ADDITIVE = "additive"
SILENT = "silent"  # theirs says nothing of it: never breaking, listed last
SEVERITIES = (BREAKING, ADDITIVE, COMPATIBLE, SILENT)  # also the order differences are listed in


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
