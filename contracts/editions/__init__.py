"""The editions of the contract: each set of Apinizer pages that says what the endpoint answers, as data.

One YAML file per edition beside this module (``2025-12.yaml``, ``2026-08.yaml``, ...); this module
reads every one of them and names none. An :class:`Edition` holds

- its sources: the site, each page's public address, its date, and where on its pages each rule
  of the rulebook (contracts/rules.py) is written;
- its envelope: the fields a success and a failure carry, the message field, the error-code field
  (if it has one; the codes each status may carry are its contract document's);
- its deployment result: the list, the environment field, entries per environment (per pod);
- its expected answers, by name (``missing-credential``, ``unknown-project`` ...), which rules name;
- who may call the endpoint (``callers``): the permissions the token's user needs, with their page;
- the paths of supporting operations it moves, and the methods of the credential path;
- its contract document (openapi.yaml for the base edition; a generated one for the others).

Everything else asks an edition instead of knowing a wire format: the judge reads a message with
:meth:`Edition.message`, the reference gateway writes one with :meth:`Edition.failure_body`, the
faults ask :meth:`Edition.answered` which answer a body gave. Adding an edition is one new file
here, then ``python -m contracts.pages`` (which writes its contract document) and a recording.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts import yamltext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AUTO = "auto"

# The names of the expected answers: every edition file answers each (its ``answers``), and the rules of the
# rulebook (contracts/rules.py) name the one they expect.
SUCCESS, MISSING_CREDENTIAL, UNKNOWN_PROJECT = "success", "missing-credential", "unknown-project"
REFUSED_TOKEN, NO_TOKEN, METHOD_NOT_ALLOWED = "refused-token", "no-token", "method-not-allowed"
MISSING_PERMISSION, ALREADY_EXISTS = "missing-permission", "already-exists"
UNKNOWN_PROJECT_ENVIRONMENTS, SERVER_ERROR = "unknown-project-environments", "server-error"


class EditionError(Exception):
    """An edition file is wrong, or a name is no edition's: one line."""


def anchor(heading: str) -> str:
    """The id a docs site gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")


@dataclass(frozen=True)
class Answer:
    """An expected answer: its status, its error code (where the edition has codes), and its message.

    ``message`` is the page's wording with ``{projectName}``/``{username}`` where it names them; the
    reference gateway answers with it, and a gateway is held to naming what it names (the wording
    may differ: messages are for people).
    """

    status: int
    code: str | None = None
    message: str | None = None

    def names(self) -> list[str]:
        """The path parameters the message names."""
        return re.findall(r"\{(\w+)\}", self.message or "")

    def text(self, **names: str) -> str:
        message = self.message or ""
        for name, value in names.items():
            message = message.replace("{" + name + "}", value)
        return message

    def pattern(self) -> re.Pattern[str]:
        """The message with any value where it names one: how a message is told for this answer's."""
        parts = re.split(r"\{\w+\}", self.message or "")
        return re.compile(".*?".join(re.escape(part.strip()) for part in parts), re.DOTALL)

    def summary(self) -> str:
        parts = [str(self.status)] + ([f"`{self.code}`"] if self.code else [])
        return " ".join(parts) + (f' "{self.message}"' if self.message else "")


@dataclass(frozen=True)
class Source:
    page: str  # a page of the edition, or "contract suite" / "RFC 9110"
    section: str
    fragment: str | None = None
    base: str | None = None  # the page's public address

    @property
    def url(self) -> str | None:
        if self.base is None:
            return None
        return f"{self.base}#{self.fragment if self.fragment is not None else anchor(self.section)}"

    def cite(self) -> str:
        return f"{self.page}, {self.section}"


@dataclass(frozen=True)
class Deployment:
    """How a deployment result lists what was (un)deployed where."""

    list: str
    environment: str
    success: str = "success"
    message: str | None = None
    messages: bool = True  # the gateway writes a message on success too (else null)
    per_environment: int = 1
    entry: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Callers:
    """Who may call the endpoint: the permissions its token's user needs (a token inherits its user's), as the
    edition's page says them: to delete, and for the undeployment that follows."""

    delete: tuple[str, ...]
    undeploy: tuple[str, ...]
    scope: str  # where the user needs them ("in the project"), or ""
    source: Source

    def line(self) -> str:
        """``IDENTITY + MANAGE in the project, and IDENTITY + DEPLOY_UNDEPLOY for the undeployment``."""
        scope = f" {self.scope}" if self.scope else ""
        return f"{' + '.join(self.delete)}{scope}, and {' + '.join(self.undeploy)} for the undeployment"


@dataclass(frozen=True)
class Envelope:
    success: dict[str, Any]
    failure: dict[str, Any]
    message: str
    code: str | None
    success_of: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Edition:
    id: str
    title: str
    date: str
    summary: str
    site: str
    pages: dict[str, str]  # page -> public address
    document: Path
    envelope: Envelope
    deployment: Deployment
    nullable: bool
    answers: dict[str, Answer]
    callers: Callers
    sources: dict[str, Source]  # rule id -> where this edition says it
    paths: dict[str, str]  # operation id -> path, where this edition moves one
    methods: tuple[str, ...]
    file: Path

    def __str__(self) -> str:
        return f"{self.id} ({self.title})"

    def __repr__(self) -> str:
        return f"Edition({self.id!r})"

    @property
    def permissions(self) -> str:
        """Who may call the endpoint, in one line with its source (for a refusal's message)."""
        return f"{self.callers.line()} ({self.callers.source.cite()})"

    # -- answers ---------------------------------------------------------------------------------------
    def answer(self, rule_or_name: Any) -> Answer:
        """The expected answer of a rule (its ``answer`` name) or of an answer name."""
        name = rule_or_name if isinstance(rule_or_name, str) else rule_or_name.answer
        if name not in self.answers:
            raise EditionError(f"edition {self.id} has no answer {name!r}")
        return self.answers[name]

    def answered(self, status: int, body: Any, among: tuple[str, ...] | None = None) -> str | None:
        """Which expected answer (by name) ``status`` and ``body`` are, by status, code and message; or None."""
        if not isinstance(body, dict):
            return None
        for name, expected in self.answers.items():
            if among is not None and name not in among:
                continue
            if expected.status != status or name == SUCCESS:
                continue
            if self.envelope.code and expected.code and body.get(self.envelope.code) != expected.code:
                continue
            message = body.get(self.envelope.message)
            if expected.message and not (isinstance(message, str) and expected.pattern().fullmatch(message.strip())):
                continue
            return name
        return None

    def source(self, rule_id: str) -> Source | None:
        return self.sources.get(rule_id)

    # -- reading a body ----------------------------------------------------------------------------------
    def code(self, body: Any) -> Any:
        return body.get(self.envelope.code) if self.envelope.code and isinstance(body, dict) else None

    def message(self, body: Any) -> Any:
        return body.get(self.envelope.message) if isinstance(body, dict) else None

    def is_success(self, body: Any, operation: str | None = None) -> bool:
        marker = self.success_marker(operation)
        return isinstance(body, dict) and all(body.get(key) == value and type(body.get(key)) is type(value)
                                              for key, value in marker.items())

    def is_failure(self, body: Any) -> bool:
        """Whether ``body`` is this edition's failure: its markers, its message and (where it has one) its code."""
        if not isinstance(body, dict) or not isinstance(body.get(self.envelope.message), str):
            return False
        if self.envelope.code and not isinstance(body.get(self.envelope.code), str):
            return False
        return all(body.get(key) == value for key, value in self.envelope.failure.items())

    def success_marker(self, operation: str | None = None) -> dict[str, Any]:
        return self.envelope.success_of.get(operation or "", self.envelope.success)

    def undeployment(self, body: Any) -> list[tuple[Any, Any]] | None:
        """``(environment, success)`` of each entry of a deployment result; None when there is no list."""
        result = body.get("deploymentResult") if isinstance(body, dict) else None
        entries = result.get(self.deployment.list) if isinstance(result, dict) else None
        if not isinstance(entries, list):
            return None
        return [(entry.get(self.deployment.environment), entry.get(self.deployment.success))
                if isinstance(entry, dict) else (None, None) for entry in entries]

    # -- writing a body (the reference gateway) ------------------------------------------------------------
    def success_body(self, payload: dict[str, Any], operation: str | None = None) -> dict[str, Any]:
        return {**self.success_marker(operation), **payload}

    def failure_body(self, code: str | None, message: str) -> dict[str, Any]:
        body: dict[str, Any] = dict(self.envelope.failure)
        if self.envelope.code:
            body[self.envelope.code] = code or ""
        body[self.envelope.message] = message
        return body

    def answer_body(self, name: str, **names: str) -> tuple[int, dict[str, Any]]:
        expected = self.answer(name)
        return expected.status, self.failure_body(expected.code, expected.text(**names))

    def deployment_result(self, environments: list[str], message: str, each: str) -> dict[str, Any]:
        """A successful (un)deployment to every one of ``environments``, as this edition reports it."""
        shape = self.deployment
        entries = []
        for index, environment in enumerate(environments):
            for pod in range(1, shape.per_environment + 1):
                entry: dict[str, Any] = {shape.environment: environment, shape.success: True}
                if shape.message:
                    entry[shape.message] = each if shape.messages else None
                entry.update(_filled(shape.entry, environment=environment, pod=pod, index=index))
                entries.append(entry)
        result: dict[str, Any] = {shape.success: True}
        if shape.message and shape.messages:
            result[shape.message] = message
        result.update(_filled(shape.result))
        result[shape.list] = entries
        return self.success_body({"deploymentResult": result})

    def path(self, operation_id: str, default: str) -> str:
        return self.paths.get(operation_id, default)


def _filled(template: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {key: value.format(**values) if isinstance(value, str) else value for key, value in template.items()}


# -- loading ------------------------------------------------------------------------------------------------
def _source(entry: list[str], pages: dict[str, str]) -> Source:
    return Source(entry[0], entry[1], entry[2] if len(entry) > 2 else None, pages.get(entry[0]))


def _callers(data: dict[str, Any], pages: dict[str, str]) -> Callers:
    return Callers(tuple(str(name) for name in data["delete"]), tuple(str(name) for name in data["undeploy"]),
                   str(data.get("scope") or ""), _source(data["source"], pages))


def _edition(path: Path) -> Edition:
    try:
        data = yamltext.load(path.read_text(encoding="utf-8"))
        envelope, deployment = data["envelope"], data["deployment"]
        site = str(data["site"]).rstrip("/")
        pages = {page: site + address for page, address in data["pages"].items()}
        return Edition(
            id=str(data["id"]), title=str(data["title"]), date=str(data["date"]),
            summary=" ".join(str(data.get("summary", "")).split()), site=site, pages=pages,
            document=ROOT / data["document"],
            envelope=Envelope(dict(envelope["success"]), dict(envelope.get("failure") or {}), envelope["message"],
                              envelope.get("code"), dict(envelope.get("success_of") or {})),
            deployment=Deployment(**deployment),
            nullable=bool(data.get("nullable", False)),
            answers={name: Answer(int(answer["status"]), answer.get("code"),
                                  " ".join(str(answer["message"]).split()) if answer.get("message") else None)
                     for name, answer in data["answers"].items()},
            callers=_callers(data["callers"], pages),
            sources={rule_id: _source(entry, pages) for rule_id, entry in (data.get("sources") or {}).items()},
            paths=dict(data.get("paths") or {}),
            methods=tuple(str(method).upper() for method in data["methods"]),
            file=path,
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise EditionError(f"{path.name}: not a valid edition ({type(exc).__name__}: {exc})") from None


@functools.lru_cache(maxsize=1)
def _all() -> dict[str, Edition]:
    found = [_edition(path) for path in sorted(HERE.glob("*.yaml")) if not path.name.endswith(".openapi.yaml")]
    return {edition.id: edition for edition in found}


def all_editions() -> list[Edition]:
    """Every edition, oldest first (by file name)."""
    return list(_all().values())


def ids() -> tuple[str, ...]:
    return tuple(_all())


def base() -> Edition:
    """The edition whose document is openapi.yaml itself: the others' documents are derived from it."""
    for edition in all_editions():
        if edition.document == ROOT / "openapi.yaml":
            return edition
    raise EditionError("no edition has openapi.yaml as its document")


def get(edition_id: str) -> Edition:
    try:
        return _all()[edition_id]
    except KeyError:
        raise EditionError(f"unknown edition {edition_id!r}: choose {AUTO} or one of {', '.join(ids())}") from None


def newest() -> Edition:
    return max(all_editions(), key=lambda edition: edition.date)


# The answers the preflight may ask without writing (contracts/targets.py, ``choose_edition``): a request with a
# wrong token, one with no token, and the credential list of a project that does not exist.
ASKABLE = (REFUSED_TOKEN, NO_TOKEN, UNKNOWN_PROJECT)


def gives(edition: Edition, name: str, status: int, body: Any) -> bool:
    """Whether ``status`` and ``body`` are ``edition``'s answer ``name``: its status, its failure envelope and, where
    it has codes, its code. Not its wording: messages are for people, and a Manager's may differ."""
    expected = edition.answer(name)
    if status != expected.status or not edition.is_failure(body):
        return False
    return not (edition.envelope.code and expected.code) or edition.code(body) == expected.code


def askable_differences(one: Edition, other: Edition) -> list[str]:
    """What the preflight may ask that ``one`` and ``other`` answer differently: their envelope, and each answer of
    :data:`ASKABLE` by status or code. Empty: nothing the preflight may ask tells them apart."""
    differ = [] if one.envelope == other.envelope else ["envelope"]
    for name in ASKABLE:
        mine, theirs = one.answer(name), other.answer(name)
        if (mine.status, mine.code if one.envelope.code else None) != \
                (theirs.status, theirs.code if other.envelope.code else None):
            differ.append(name)
    return differ


def answering(among: list[Edition], asked: list[tuple[str, int, Any]]) -> list[Edition]:
    """Those of ``among`` that gave each answer of ``asked`` (name, status, body) that any of them gives: an answer
    that is none of theirs says nothing between them (the rules judge it later)."""
    fits = among
    for name, status, body in asked:
        matched = [edition for edition in among if gives(edition, name, status, body)]
        fits = [edition for edition in fits if edition in matched] if matched else fits
    return fits


def alike(among: list[Edition]) -> str | None:
    """One line when nothing the preflight may ask tells the editions ``among`` apart, saying how to pin; else None."""
    if len(among) < 2 or any(askable_differences(one, other) for one in among for other in among):
        return None
    return (f"the editions {' and '.join(str(e) for e in among)} cannot be told apart by anything the preflight may "
            f"ask read-only (the same envelope and the same {', '.join(ASKABLE)} answers): pin the one the gateway "
            f"speaks with --edition {' or --edition '.join(e.id for e in among)} (APIOPS_EDITION)")


def recognise(body: Any, failure: bool) -> list[Edition]:
    """The editions whose envelope ``body`` is in: as a failure (``failure``) or as a success."""
    return [edition for edition in all_editions()
            if (edition.is_failure(body) if failure else edition.is_success(body))]


def others(edition: Edition) -> list[Edition]:
    return [other for other in all_editions() if other.id != edition.id]
