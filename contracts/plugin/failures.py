"""How a failed test reads: its line names the rules the gateway broke, and its failure fits in a screen.

- :func:`broken_rules` and :func:`labelled`: each ``-v`` line and each short-summary line of a failed test names the
  rules the judge saw broken in it (its :class:`~contracts.judge.Ledger`), the ones the conformance report and JUnit
  count; the rule the test declares only when it is one of them. A passed test's ``-v`` line names what it verifies.
- :func:`shorten`: under the default ``--tb=auto``, a failure the judge raised is the rule, the request and the
  answer (redacted, bodies cut), what was expected, and a curl command that sends the request again, the token as
  ``$APIOPS_TOKEN``; no frame of the suite's own code, no object's repr. ``--tb=long`` (or any other style) keeps
  pytest's traceback; hypothesis' reproduction hints are kept with ``-v``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import requests
from _pytest._code.code import ExceptionChainRepr, ReprFileLocation, ReprTracebackNative

from contracts.editions import Edition
from contracts.judge import Ledger, RuleViolation
from contracts.redaction import PLACEHOLDER, excerpt, redact

E = TypeVar("E", bound=BaseException)
LABEL = "apiops_rules"  # the report attribute the label is read from: plain, so it travels from xdist workers
BODY = 200  # characters of an answer's body shown
# Headers requests adds itself, as curl does its own: a command that repeats them only reads worse.
_DEFAULT_HEADERS = {"user-agent", "accept-encoding", "accept", "connection", "content-length"}


def broken_rules(rep: pytest.TestReport, call: pytest.CallInfo[None], ledger: Ledger, declared: list[str]) -> list[str]:
    """What a report's line names: a failure's broken rules (the one raised first), else the declared rules."""
    if not rep.failed:
        return declared
    raised = violation_in(call.excinfo.value if call.excinfo is not None else None)
    first = [raised.rule.id] if raised is not None and raised.rule.id in ledger.failed else []
    return first + [rule_id for rule_id in ledger.failed if rule_id not in first]


def labelled(status: Any, rep: pytest.TestReport, verbose: int) -> Any:
    """``FAILED [rule-a, rule-b]``: a failure's line (``-v`` and the short summary, which pytest words the same
    way) names the rules it broke; with ``-v``, every other line the rules its test verifies."""
    named = getattr(rep, LABEL, None)
    if not status or not named or not status[2] or (verbose <= 0 and not rep.failed):
        return status
    category, letter, word = status
    said = f" [{', '.join(named)}]"
    if isinstance(word, tuple):
        return category, letter, (word[0] + said, word[1])
    return category, letter, word + said


def found_in(exc: BaseException | None, kind: type[E], depth: int = 0) -> E | None:
    """``exc`` or what it wraps (an exception group's members, its cause or context) that is a ``kind``."""
    if exc is None or depth > 8:
        return None
    if isinstance(exc, kind):
        return exc
    inner = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else []
    for candidate in [*inner, exc.__cause__, exc.__context__]:
        found = found_in(candidate, kind, depth + 1)
        if found is not None:
            return found
    return None


def violation_in(exc: BaseException | None) -> RuleViolation | None:
    """The judge's verdict ``exc`` is, or wraps."""
    return found_in(exc, RuleViolation)


@dataclass(frozen=True)
class Short:
    """A failure the judge raised, to be shown in a screen: its verdict, and the test's line that looked."""

    violation: RuleViolation
    raised: BaseException  # what the test raised: the verdict, or what wraps it
    path: str
    lineno: int


def shown_short(item: pytest.Item, call: pytest.CallInfo[None]) -> Short | None:
    """Before pytest words a failure: whether it is a verdict :func:`shorten` rewrites (``--tb=auto``).

    If so, pytest is left none of its traceback to word: :func:`shorten` shows no frame, and pytest would read the
    source of each one (a whole module parsed per frame: a second of a run in which twenty tests fail). ``--tb=long``
    and every other style keep them all.
    """
    if call.excinfo is None or item.config.getoption("tbstyle", "auto") != "auto":
        return None
    violation = violation_in(call.excinfo.value)
    if violation is None:
        return None
    path, lineno = _where(item, call.excinfo)
    call.excinfo.traceback = call.excinfo.traceback[:0]
    return Short(violation, call.excinfo.value, path, lineno)


def shorten(item: pytest.Item, rep: pytest.TestReport, ledger: Ledger, edition: Edition | None, short: Short | None,
            headline: str | None) -> None:
    """A failure the judge raised, in a screen (``--tb=auto``, the default); the rest as pytest shows it.

    ``headline`` is its one-line form (``-rf``, JUnit's message), when it fails the run on a rule.
    """
    if not rep.failed or short is None:
        return
    verbose = item.config.getoption("verbose") > 0
    lines = failure_lines(short.violation, ledger, edition)
    path, lineno = short.path, short.lineno
    if verbose:  # where the test looked, and hypothesis' own hints (@reproduce_failure): for who asks for more
        lines.append(f"test:     {path}:{lineno}   (--tb=long shows the traceback)")
        lines += [redact(note) for note in getattr(short.raised, "__notes__", [])]
    message = headline or lines[0]
    rep.longrepr = ExceptionChainRepr([(ReprTracebackNative([redact(line) + "\n" for line in lines]),
                                        ReprFileLocation(path, lineno, redact(message)), None)])
    rep.sections = [(name, text) for name, text in rep.sections if name != "rule"]  # said above


def failure_lines(violation: RuleViolation, ledger: Ledger, edition: Edition | None) -> list[str]:
    """The rule and its statement and source, what else broke, the exchange, what was expected, the command."""
    rule = violation.rule
    lines = [rule.headline(edition)]
    others = [rule_id for rule_id in ledger.failed if rule_id != rule.id]
    if others:
        lines.append(f"also broken in this test: {', '.join(others)}")
    held = [declared.id for declared in ledger.declared
            if declared.id in ledger.held and declared.id not in ledger.failed]
    if held:
        lines.append(f"held in this test: {', '.join(held)} (the rule{'s' if len(held) > 1 else ''} it checks)")
    response = violation.response
    if response is not None:
        lines += [f"request:  {response.request.method} {redact(str(response.request.url))}",
                  f"answer:   {answer_text(response)}"]
    if violation.expected:
        lines.append(f"expected: {violation.expected}")
    if not (violation.expected and violation.found.startswith("expected")):  # a status the lines above show
        lines.append(f"found:    {ends_kept(violation.found)}")
    if response is not None:
        lines.append(f"again:    {curl(response.request)}")
    return lines


def ends_kept(text: str, limit: int = 400, tail: int = 160) -> str:
    """``text`` redacted, then cut in the middle: a finding's end often says what to do (the command that adopts a
    known deviation), its start what was seen."""
    cleaned = redact(text)
    return cleaned if len(cleaned) <= limit else f"{cleaned[:limit - tail]} … {cleaned[-tail:]}"


def answer_text(response: requests.Response) -> str:
    """``STATUS content-type body…``: redacted first, then cut."""
    body = " ".join(response.text.split())
    kind = response.headers.get("Content-Type", "")
    return " ".join(part for part in (str(response.status_code), kind, excerpt(body, BODY) if body else "(no body)")
                    if part)


def curl(request: requests.PreparedRequest) -> str:
    """The request as a curl command that sends it again: the suite's token as ``$APIOPS_TOKEN`` (a shell
    variable, expanded inside double quotes), no redirect followed, the path as it was sent."""
    url = str(request.url)
    parts = ["curl", "-sS", "-X", str(request.method)]
    for name, value in request.headers.items():
        if name.lower() in _DEFAULT_HEADERS:
            continue
        header = f"{name}: {value}"
        if PLACEHOLDER in header:
            escaped = "".join("\\" + char if char in '"\\$`' else char for char in header)
            parts.append('-H "' + escaped.replace(PLACEHOLDER, "$APIOPS_TOKEN") + '"')
        else:
            parts += ["-H", shlex.quote(redact(header))]
    body = request.body
    if body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        parts += ["--data-binary", shlex.quote(redact(text))]
    if "/." in url:
        parts.append("--path-as-is")  # curl would squash a dot segment the suite sent on purpose
    if any(char in url for char in "[]{}"):
        parts.append("-g")  # no globbing: brackets and braces are the name's
    parts.append("'" + redact(url).replace("'", "'\\''") + "'")
    return " ".join(parts)


def _where(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> tuple[str, int]:
    """The line of the test that looked at the answer (its last frame in the test's file)."""
    path = getattr(item, "path", None)
    for entry in reversed(excinfo.traceback):
        if path is not None and entry.path == path:
            return item.nodeid.split("::")[0], entry.lineno + 1
    location = item.location
    return location[0], (location[1] or 0) + 1
