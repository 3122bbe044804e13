"""The conformance report as one HTML page (``--report FILE.html``): a CI artifact people open, offline.

It renders the JSON report (:func:`contracts.report.to_json`: the run, each rule's result, the clean-up's
leftovers, the stack's and the infrastructure's answers, the published-description comparison) and the
report's notes, the data the Markdown and the JSON are written from, through one Jinja2 template
(``contracts/templates/report.html.j2``) with autoescape on. The page loads nothing: its style and its one
script are inline, and its Content-Security-Policy allows only those two (by their hashes) and no request at
all. The whole page is redacted before it is returned.

Read when present, as keys of the report a caller may add: ``run["stopped"]`` (why the run stopped before its
tests ended), ``drift`` (the drift against ``--baseline``, as the terminal prints it) and ``living`` (the lines
a staging that lives left, which are among the notes too).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import jinja2
import markupsafe

from contracts import editions, rules
from contracts.redaction import redact

TEMPLATE = "report.html.j2"
RUN_KEYS = ("target", "gateway", "gateway_version", "base_url", "project", "date", "run_id", "edition",
            "edition_evidence", "stopped")
MESSAGE_LIMIT = 2000  # characters of a failure's text shown; the JSON report has it whole
STACK_NOTE = "answered by the Manager's HTTP stack, not its code: "
PUBLISHED_NOTE = "the gateway's published description"
# How the judge names an exchange in a failure (contracts/client.py, answer_line): METHOD URL answered STATUS...
_EXCHANGE = re.compile(r"\b([A-Z]{3,8}) (https?://\S+) answered (\d{3})([^\n]*)")
_CURL = re.compile(r"^\s*(?:\$ )?curl .*?(?=\n\s*\n|\Z)", re.MULTILINE | re.DOTALL)
LABELS = {"passed": "passed", "failed": "failed", "deviation": "deviation (waived)",
          "fixed-deviation": "fixed deviation", "warned": "warned (--fail-on)", "skipped": "skipped"}
SCRIPT = """document.body.dataset.script = "ran";
var only = document.getElementById("only-unpassed");
only.hidden = false;
only.querySelector("input").addEventListener("change", function (event) {
  document.body.classList.toggle("only-unpassed", event.target.checked);
});"""


@dataclass(frozen=True)
class Failure:
    """One failed rule as the page shows it: the rule, where it failed, its exchange and how to send it again."""

    id: str
    statement: str
    kind: str
    url: str | None
    expected: list[tuple[str, str]]  # (edition id, its expected answer)
    test: str
    text: str  # the failure's own words, redacted and cut
    request: str | None  # METHOD URL, as the failure names it
    answer: str | None  # STATUS and the first bytes of the body, as the failure names them
    curl: str | None  # the reproduction command, when the failure carries one


def render(report: dict[str, Any], notes: list[str]) -> str:
    """The page of ``report`` (:func:`contracts.report.to_json`'s dict) and the report's ``notes``."""
    environment = _environment()
    run = {**dict.fromkeys(RUN_KEYS), **report.get("run", {})}  # a key the run left out reads as not known
    summary, entries = report.get("summary", {}), report.get("rules", [])
    extra = {key: value for key, value in report.items() if key not in ("run", "summary", "rules")}
    stack = extra.get("stack") or {}
    # The notes the Markdown ends with: what fails the run beyond its tests, then what a living staging did
    # (``living``), the published description's headline and the stack's answers, which have sections here.
    living = [str(line) for line in extra.get("living") or []]
    said_elsewhere = {*living, *(f"{STACK_NOTE}{cause} (e.g. {example})" for cause, example in stack.items())}
    problems = [note for note in notes if note not in said_elsewhere and not note.startswith(PUBLISHED_NOTE)]
    held_to = str(run.get("edition") or "").partition(" ")[0]
    edition = editions.get(held_to) if held_to in editions.ids() else None  # whose pages the links cite
    failures = [_failure(entry, edition) for entry in entries if entry["outcome"] == "failed"]
    stopped = str(run.get("stopped") or "")
    style = _style(environment)
    page = environment.get_template(TEMPLATE).render(
        verdict=_verdict(stopped, failures, problems), run=run, summary=summary, failures=failures,
        results=[_result(entry, edition) for entry in entries], problems=problems, stopped=stopped,
        leftovers=extra.get("leftovers") or [], stack=stack, living=living,
        infrastructure=extra.get("infrastructure") or {}, published=extra.get("published_spec") or {},
        drift=extra.get("drift") or "",
        published_headline=next((note for note in notes if note.startswith(PUBLISHED_NOTE)), ""),
        rate_limited={name: count for name, count in (extra.get("rate_limited") or {}).items() if count},
        editions=[each.id for each in editions.all_editions()], held_to=held_to, labels=LABELS,
        script=SCRIPT, script_hash=_hash(SCRIPT), style=style, style_hash=_hash(style))
    return redact(page)


@functools.cache  # compiling the template is most of a render's time (0.2 s)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.PackageLoader("contracts", "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["ticks"] = ticks
    return environment


def _verdict(stopped: str, failures: list[Failure], problems: list[str]) -> dict[str, str]:
    """The page's first words: red or green, and why."""
    if stopped:
        title = "the run stopped before its tests ended"
    elif failures:
        title = f"the gateway broke {len(failures)} rule{'s' if len(failures) != 1 else ''}"
    elif problems:
        title = "every test passed, and the run fails beyond them"
    else:
        return {"word": "Green", "colour": "green", "title": "the gateway kept every rule this run verified"}
    return {"word": "Red", "colour": "red", "title": title}


def _style(environment: jinja2.Environment) -> str:
    """The page's style sheet, inline (the template includes it; its hash goes in the Content-Security-Policy)."""
    loader = environment.loader
    assert loader is not None
    return loader.get_source(environment, "report.css")[0]


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _expected(rule: rules.Rule) -> list[tuple[str, str]]:
    """Each edition's expected answer of the rule; none where the rule names none (a behaviour, not one answer)."""
    if not rule.answer:
        return []
    return [(edition.id, edition.answer(rule).summary()) for edition in editions.all_editions()]


def _result(entry: dict[str, Any], edition: editions.Edition | None) -> dict[str, Any]:
    rule = rules.RULES[entry["id"]]
    tests = entry.get("tests") or []
    detail = entry.get("message") or (f"{len(tests)} test{'s' if len(tests) != 1 else ''}" if tests else "")
    return {"id": rule.id, "statement": rule.statement, "kind": rule.kind, "url": rule.url(edition),
            "outcome": entry["outcome"], "expected": _expected(rule), "detail": _cut(redact(detail), 400)}


def _failure(entry: dict[str, Any], edition: editions.Edition | None) -> Failure:
    rule = rules.RULES[entry["id"]]
    message = redact(str(entry.get("message") or ""))
    test, separator, text = message.partition(": ")
    if not separator or " " in test:  # not "test_name: detail": the message is all detail
        test, text = "", message
    exchange = _EXCHANGE.search(text)
    curl = _CURL.search(text)
    return Failure(rule.id, rule.statement, rule.kind, rule.url(edition), _expected(rule), test,
                   _cut(text, MESSAGE_LIMIT), f"{exchange[1]} {exchange[2]}" if exchange else None,
                   _cut(f"{exchange[3]}{exchange[4]}", 400) if exchange else None,
                   curl[0].strip().removeprefix("$ ") if curl else None)


def ticks(text: str) -> markupsafe.Markup:
    """The rulebook's `code` spans as <code>, in text escaped first (so nothing else of it becomes markup)."""
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(markupsafe.escape(text))))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters in the JSON report)"
