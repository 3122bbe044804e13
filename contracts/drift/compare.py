"""The rules: what changed between two recordings, and whether a client of the gateway would break.

Exchanges are paired by their position within a test. A difference is ``breaking`` when a client
written against the baseline could fail on the current answer (a status, an error code, a field it
reads, an environment it expects), ``compatible`` otherwise. The current side's contract document
(openapi.yaml, or the edition's: named by its path in every reason) settles the cases where the
change itself does not: a field it requires, a type it allows, an error code it allows. A change
*towards* that document (the baseline answered outside it, the current run does not) is a fix, so
compatible; except a status: a client that branches on the old one breaks, whatever the documents
say, so a changed status is breaking, annotated when it moves towards the document.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import editions, published, recording, settings
from contracts.drift import edition_change
from contracts.drift.load import LoadedRecording, TestRecording, load
from contracts.drift.report import BREAKING, COMPATIBLE, Difference, DriftReport
from contracts.drift.schema import Schema, document_name
from contracts.editions import Edition
from contracts.recording import Interaction
from contracts.settings import commands
from contracts.shapes import Shape, join, shape_of
from contracts.spec import Contract, SpecError
from contracts.spec import load as load_contract

JSON = "application/json"


@dataclass(frozen=True)
class Thresholds:
    """A response is reported slower only past both: a factor, and an absolute margin (noise)."""

    factor: float = commands.SLOWDOWN_FACTOR  # python -m contracts.drift's defaults, declared with its options
    extra_ms: int = commands.SLOWDOWN_MS


def compare(before: Path, after: Path, *, contract: Contract | None = None,
            selected: Collection[str] | None = None, thresholds: Thresholds | None = None) -> DriftReport:
    """Compare two recording directories test by test.

    ``contract`` defaults to the current side's edition's document (``contracts.spec.load(edition)``); if
    that cannot be loaded, the rules run without it and the report says so. ``selected`` restricts the
    comparison to these node ids (a run of a subset of the tests has not "lost" the others). Raises
    ``RecordingError`` when either side is unusable.
    """
    old, new = load(before), load(after)
    notes: list[str] = []
    was, now = edition_of(old), edition_of(new)
    if contract is None:
        try:
            contract = load_contract(settings.contract_document(now))  # the current side's edition's, or a draft
        except SpecError as exc:
            notes.append(f"classified without the contract: {exc}")
    names = sorted(old.tests.keys() | new.tests.keys())
    if selected is not None:
        names = [name for name in names if name in selected]
    rules = Rules(contract, thresholds or Thresholds(), now, was)
    differences = [difference for name in names
                   for difference in rules.test(name, old.tests.get(name), new.tests.get(name))]
    if was != now:  # every answer's envelope changed: named once, as what it is, and expected
        differences.insert(0, dataclasses.replace(At(EDITION_TEST).breaking(
            "edition", f"`{was}` → `{now}`", "the gateway answers in another edition's wire format: a client written "
            "against the baseline's envelope (its success and failure fields, its deployment result) breaks"),
            expected=edition_change.label(was, now)))
    if contract is not None:
        differences += published_drift(before, after, contract, notes, rules.baseline_contract)
    # What no edition explains first (breaking, then compatible), then what the edition change explains.
    differences.sort(key=lambda d: (bool(d.expected), not d.breaking, d.test, d.step or 0))
    documents = (document_name(rules.baseline_contract), document_name(contract))
    return DriftReport(str(before), str(after), old.meta, new.meta, _compared(old, new, names), differences, notes,
                       documents)


PUBLISHED_TEST = "(the gateway's published description)"  # not a test: what the gateway declared of itself
EDITION_TEST = "(the edition of the docs the gateway answers in)"  # not a test: the recordings' wire format


def edition_of(recorded: LoadedRecording) -> Edition:
    """The edition a recording names (recordings made before editions existed are of the base edition's)."""
    found = str(recorded.meta.get("edition") or editions.base().id)
    return editions.get(found) if found in editions.ids() else editions.base()


def published_drift(before: Path, after: Path, contract: Contract, notes: list[str],
                    baseline: Contract | None = None) -> list[Difference]:
    """How the gateway's own description moved against ``contract`` between the two recordings.

    Each side is compared with its contract document (contracts/published/), not with the other: a
    Manager's description may name the operation differently, ours is the fixed point. The current side's is
    ``contract``; the baseline's is ``baseline`` where it is of another edition (each gateway described itself
    in its own edition: the edition change is no difference of the description). A difference only the current
    side has is new; one only the baseline had is gone (a fix).
    """
    before_document, after_document = recording.read_published(before), recording.read_published(after)
    if before_document is None or after_document is None:
        if before_document is not after_document:
            notes.append("the gateway's published description is recorded on one side only: not compared")
        return []
    try:
        old, new = (published.compare(ours.document, theirs, document=ours.name)
                    for ours, theirs in ((baseline or contract, before_document), (contract, after_document)))
    except published.PublishedSpecError as exc:
        notes.append(f"the gateway's published descriptions not compared: {exc}")
        return []
    then, now = ({(d.where, d.change) for d in side.differences} for side in (old, new))
    held_to = document_name(baseline or contract)  # what the baseline's description was held to
    return ([Difference(PUBLISHED_TEST, None, None, f"published {d.where}", f"now: {d.change}",
                        BREAKING if d.breaking else COMPATIBLE, f"new since the baseline: {d.reason}")
             for d in new.differences if (d.where, d.change) not in then]
            + [Difference(PUBLISHED_TEST, None, None, f"published {d.where}", f"no longer: {d.change}", COMPATIBLE,
                          f"the published description no longer differs from {held_to} here")
               for d in old.differences if (d.where, d.change) not in now])


def _compared(old: LoadedRecording, new: LoadedRecording, names: list[str]) -> int:
    return sum(1 for name in names if name in old.tests and name in new.tests)


@dataclass(frozen=True)
class At:
    """Where a difference is: the test, the step, the request."""

    test: str
    step: int | None = None
    request: str | None = None

    def breaking(self, aspect: str, change: str, reason: str, annotation: str = "") -> Difference:
        return Difference(self.test, self.step, self.request, aspect, change, BREAKING, reason, annotation)

    def compatible(self, aspect: str, change: str, reason: str) -> Difference:
        return Difference(self.test, self.step, self.request, aspect, change, COMPATIBLE, reason)


class Rules:
    def __init__(self, contract: Contract | None, thresholds: Thresholds, edition: Edition | None = None,
                 baseline: Edition | None = None) -> None:
        self.contract = contract
        self.document = document_name(contract)  # how reasons name it
        self.thresholds = thresholds
        self.edition = edition or editions.base()  # whose fields hold a code, a message, a deployment result
        self.baseline = baseline or self.edition  # the baseline's edition: another one is an edition change
        self.baseline_contract = _document(self.baseline) if self.baseline != self.edition else contract

    def operation(self, interaction: Interaction, contract: Contract | None = None) -> str | None:
        """The operationId the request calls; None when the contract has no such route (or is unknown)."""
        contract = contract or self.contract
        route = contract.route(interaction.method, interaction.path) if contract else None
        return route.operation_id if route else None

    def parameters(self, interaction: Interaction) -> dict[str, str]:
        """The request's path parameters, percent-decoded (``projectName``, ``username`` ...)."""
        route = self.contract.route(interaction.method, interaction.path) if self.contract else None
        return route.parameters if route else {}

    # -- tests -------------------------------------------------------------------------------------
    def test(self, name: str, before: TestRecording | None, after: TestRecording | None) -> Iterator[Difference]:
        at = At(name)
        if after is None:
            yield at.breaking("test", "recorded in the baseline only",
                              "its rule went unchecked in the current run (deselected, renamed or removed?)")
            return
        if before is None:
            yield at.compatible("test", "recorded in the current run only", "a new scenario: nothing to compare")
            return
        paired = self.paired(before, after)
        pairs = zip(before.exchanges[:paired], after.exchanges[:paired], strict=True)
        for step, (old, new) in enumerate(pairs, start=1):
            request = f"{new.interaction.method} {new.interaction.path}"
            timed = old.timed and new.timed
            found = self.exchange(At(name, step, request), old.interaction, new.interaction, timed)
            yield from self.explained(found, old.interaction, new.interaction)
        yield from self.course(name, paired, before, after)

    def explained(self, found: Iterable[Difference], before: Interaction, after: Interaction) -> list[Difference]:
        """One exchange's differences, those the edition change explains marked (contracts/drift/edition_change.py)."""
        was, now = self.baseline, self.edition
        if was == now or not edition_change.same_answer(was, now, before, after, self.operation(after)):
            return list(found)
        return edition_change.mark(found, edition_change.label(was, now))

    def paired(self, before: TestRecording, after: TestRecording) -> int:
        """How many exchanges line up: up to the first request that is not the baseline's.

        A test sends what its code and the answers so far make it send; once it sends something
        else (it failed, skipped or branched), the later exchanges answer other questions.
        """
        for index, (old, new) in enumerate(zip(before.exchanges, after.exchanges, strict=False)):  # up to the shorter
            if self.request_key(old.interaction, self.baseline_contract) != self.request_key(new.interaction):
                return index
        return min(len(before.exchanges), len(after.exchanges))

    def request_key(self, interaction: Interaction, contract: Contract | None = None) -> tuple[str, str]:
        """What a request asks: its operation, else its path (names are normalised by now).

        ``contract``: the document of the edition it was sent in (an edition may move a supporting operation's path).
        """
        return interaction.method, self.operation(interaction, contract) or interaction.path

    def course(self, name: str, paired: int, before: TestRecording, after: TestRecording) -> Iterator[Difference]:
        """The test's course, when it differs from the baseline's: it stopped early, or went elsewhere."""
        old, new = len(before.exchanges), len(after.exchanges)
        if paired == old == new:
            return
        step = paired + 1
        request = (f"{after.exchanges[paired].interaction.method} {after.exchanges[paired].interaction.path}"
                   if paired < new else None)
        at = At(name, step, request)
        if new < old:
            yield at.breaking("exchanges", f"{old} → {new}", "the test stopped early: an answer made it fail or skip")
        else:
            yield at.compatible("exchanges", f"{old} → {new}",
                                "the test went another way or further (the baseline run stopped early, or the "
                                "suite changed): later answers are not compared")

    # -- one exchange ------------------------------------------------------------------------------
    def exchange(self, at: At, before: Interaction, after: Interaction, timed: bool) -> Iterator[Difference]:
        operation = self.operation(after)  # the same as the baseline's: see paired()
        yield from self.status(at, before, after, operation)
        yield from self.error_code(at, before, after, operation)
        yield from self.error_description(at, before, after, operation)
        if before.status == after.status:  # else the bodies answer different things: the status says it
            yield from self.content_type(at, before, after)
            yield from self.body(at, before, after, operation)
            yield from self.successes(at, before.response_body, after.response_body)
            yield from self.environments(at, before.response_body, after.response_body)
        if timed:
            yield from self.elapsed(at, before.elapsed_ms, after.elapsed_ms)

    # -- status and errors -------------------------------------------------------------------------
    def status(self, at: At, before: Interaction, after: Interaction, operation: str | None) -> Iterator[Difference]:
        if before.status == after.status:
            return
        change = f"{before.status} → {after.status}"
        documented = self.contract.documented_statuses(operation) if self.contract and operation else set()
        # Towards the document or not, a client that checks for the old status breaks: said beside the class.
        towards = (f"towards {self.document}: it documents {after.status}, not {before.status}"
                   if before.status not in documented and after.status in documented else "")
        yield at.breaking("status", change, "clients branch on the status code", towards)

    def error_code(self, at: At, before: Interaction, after: Interaction,
                   operation: str | None) -> Iterator[Difference]:
        code = self.edition.envelope.code
        if code is None:  # an edition without codes: the status and the message say it all
            return
        old, new = _field(before, code), _field(after, code)
        if old is None or new is None or old == new:
            return
        change = f"`{old}` → `{new}`"
        if not self._allows_code(operation, before.status, old) and self._allows_code(operation, after.status, new):
            yield at.compatible("error code", change, f"a fix: {self.document} allows `{new}` for {after.status}")
        else:
            yield at.breaking("error code", change, "clients branch on the error code")

    def _allows_code(self, operation: str | None, status: int, code: Any) -> bool:
        schema = Schema.of_response(self.contract, operation, status).field(self.edition.envelope.code or "error")
        return code in ((schema.node or {}).get("enum") or [])

    def error_description(self, at: At, before: Interaction, after: Interaction,
                          operation: str | None) -> Iterator[Difference]:
        message = self.edition.envelope.message
        old, new = _field(before, message), _field(after, message)
        if not isinstance(old, str) or not isinstance(new, str) or old == new:
            return
        old_names, new_names = self.parameters(before), self.parameters(after)
        # As templates, so that the same change seen with different names reads (and groups) as one.
        change = f"`{_template(old, old_names)}` → `{_template(new, new_names)}`"
        lost = [name for name, value in old_names.items()
                if value in old and new_names.get(name, value) not in new]
        if lost:
            yield at.breaking("error description", change,
                              f"it no longer names the {', '.join(lost)}: the message stopped saying what is wrong")
        else:
            yield at.compatible("error description", change, "wording only: messages are for people, not parsers")

    # -- the body --------------------------------------------------------------------------------------
    def content_type(self, at: At, before: Interaction, after: Interaction) -> Iterator[Difference]:
        old, new = _content_type(before), _content_type(after)
        if old == new:
            return
        change = f"`{old or '(none)'}` → `{new or '(none)'}`"
        if _media(old) == _media(new):
            yield at.compatible("content type", change, "same media type, other parameters")
        elif _media(new) == JSON:
            yield at.compatible("content type", change, f"a fix: {self.document} documents {JSON}")
        else:
            yield at.breaking("content type", change, "clients decode the body by its content type")

    def body(self, at: At, before: Interaction, after: Interaction, operation: str | None) -> Iterator[Difference]:
        if before.json_body and not after.json_body:
            yield at.breaking("body", "JSON → text", "clients parse the body as JSON")
        elif after.json_body and not before.json_body:
            yield at.compatible("body", "text → JSON", f"a fix: {self.document} documents JSON bodies")
        elif not after.json_body:
            if before.response_body != after.response_body:
                yield at.compatible("body", "text changed", "a text body is not parsed")
        else:
            schema = Schema.of_response(self.contract, operation, after.status)
            yield from self.shape(at, shape_of(before.response_body), shape_of(after.response_body), "", schema)

    def shape(self, at: At, before: Shape, after: Shape, where: str, schema: Schema) -> Iterator[Difference]:
        yield from self.types(at, before, after, where, schema)
        if "object" in before.types and "object" in after.types:
            for key in sorted(before.fields.keys() - after.fields.keys()):
                yield self.removed(at, join(where, key), key, schema)
            for key in sorted(after.fields.keys() - before.fields.keys()):
                yield self.added(at, join(where, key), key, schema)
            for key in sorted(before.fields.keys() & after.fields.keys()):
                yield from self.shape(at, before.fields[key], after.fields[key], join(where, key), schema.field(key))
        if before.items is not None and after.items is not None:
            yield from self.shape(at, before.items, after.items, where + "[]", schema.items())

    def types(self, at: At, before: Shape, after: Shape, where: str, schema: Schema) -> Iterator[Difference]:
        gained = after.types - before.types
        if not gained:  # a type no longer seen (say null) only narrows what clients get
            return
        lost = before.types - after.types
        change = (f"`{where or '(body)'}` " + (f"{_types(before.types)} → {_types(after.types)}" if lost
                                              else f"may now be {_types(gained)}"))
        if all(schema.allows(json_type) for json_type in gained):
            yield at.compatible("field type", change, f"allowed: {schema.documented_type()}")
        else:
            yield at.breaking("field type", change,
                              f"clients read it as {_types(before.types)} ({schema.documented_type()})")

    def removed(self, at: At, where: str, key: str, schema: Schema) -> Difference:
        if schema.requires(key):
            reason = f"{schema.source} requires it"
        elif schema.documents(key):
            reason = f"{schema.source} documents it: clients may read it"
        else:
            reason = f"clients may read it, although {schema.source} does not document it"
        return at.breaking("field removed", f"`{where}`", reason)

    def added(self, at: At, where: str, key: str, schema: Schema) -> Difference:
        if schema.closed and not schema.documents(key):
            return at.breaking("field added", f"`{where}`", f"{schema.source} allows no other field here")
        if schema.requires(key):
            return at.compatible("field added", f"`{where}`", f"a fix: {schema.source} requires it")
        reason = "documented as optional" if schema.documents(key) else "clients ignore fields they do not know"
        return at.compatible("field added", f"`{where}`", reason)

    # -- deployment results --------------------------------------------------------------------------
    def successes(self, at: At, before: Any, after: Any) -> Iterator[Difference]:
        for path in (*((key,) for key in self.edition.envelope.success),
                     ("deploymentResult", self.edition.deployment.success)):
            old, new = _dig(before, path), _dig(after, path)
            if old != new and isinstance(old, bool | str) and isinstance(new, bool | str) and type(old) is type(new):
                change = f"`{'.'.join(path)}` {_json(old)} → {_json(new)}"
                if old in (True, *self.edition.envelope.success.values()):
                    yield at.breaking("success", change, "what succeeded now fails")
                else:
                    yield at.compatible("success", change, "what failed now succeeds")

    def environments(self, at: At, before: Any, after: Any) -> Iterator[Difference]:
        old, new = _environment_results(before, self.edition), _environment_results(after, self.edition)
        if old is None or new is None:
            return
        for name in sorted(old.keys() - new.keys()):
            yield at.breaking("environment missing", f"`{name}`", "no longer reported: was it undeployed?")
        for name in sorted(new.keys() - old.keys()):
            yield at.compatible("environment added", f"`{name}`", "one more environment reported")
        for name in sorted(old.keys() & new.keys()):
            yield from self.environment(at, name, old[name], new[name])

    def environment(self, at: At, name: str, before: list[Any], after: list[Any]) -> Iterator[Difference]:
        if len(before) != len(after):
            yield at.compatible("environment count", f"`{name}` reported {len(before)} → {len(after)} times",
                                "entries per environment follow its pods (an edition that reports pods): the "
                                "environment is still reported")
        old, new = before[0], after[0]
        if not isinstance(old, bool) or not isinstance(new, bool) or old == new:
            return  # a success that is not a boolean is a type change: the body's shape says so
        change = f"`{name}` {_json(old)} → {_json(new)}"
        if old:
            yield at.breaking("environment success", change, "undeployment now fails there")
        else:
            yield at.compatible("environment success", change, "undeployment now succeeds")

    # -- time ----------------------------------------------------------------------------------------
    def elapsed(self, at: At, before: int, after: int) -> Iterator[Difference]:
        limit = self.thresholds
        if after > before * limit.factor and after - before > limit.extra_ms:
            yield at.compatible("response time", f"{before} ms → {after} ms",
                                f"slower by over {limit.factor:g}x and {limit.extra_ms} ms: check clients' timeouts")


def _document(edition: Edition) -> Contract | None:
    """``edition``'s own contract document, where the baseline's requests are read (None: read with the current one)."""
    try:
        return load_contract(edition)
    except SpecError:
        return None


def _field(interaction: Interaction, name: str) -> Any:
    body = interaction.response_body
    return body.get(name) if interaction.json_body and isinstance(body, dict) else None


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def _environment_results(body: Any, edition: Edition) -> dict[str, list[Any]] | None:
    """environment -> the success of each entry naming it, in order (the edition's fields); None without results."""
    entries = edition.undeployment(body)
    if entries is None:
        return None
    by_name: dict[str, list[Any]] = {}
    for name, succeeded in entries:
        if isinstance(name, str):
            by_name.setdefault(name, []).append(succeeded)
    return by_name


def _content_type(interaction: Interaction) -> str:
    headers = {name.lower(): value for name, value in interaction.response_headers.items()}
    return headers.get("content-type", "").strip()


def _media(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _template(text: str, parameters: dict[str, str]) -> str:
    """``text`` with each path parameter's value written as ``{name}``, longest value first."""
    for name, value in sorted(parameters.items(), key=lambda item: -len(item[1])):
        if value:
            text = text.replace(value, "{" + name + "}")
    return text


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _types(types: set[str]) -> str:
    return " or ".join(sorted(types))
