"""The conformance report as one HTML page (``--report FILE.html``): what a real browser renders of a red run, that it
loads nothing and carries no secret, that what a gateway said cannot become markup, and that an installed package
has its template."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import redaction, report_html, rules
from contracts.redaction import find
from tests import browser
from tests.conftest import ROOT, TOKEN, RunSuite, live

SUITE = "contracts/scenarios"
LEAK = rules.RULES["no-answer-carries-the-token"]


def test_a_red_run_writes_one_page_a_browser_renders_verdict_first_with_the_broken_rule_and_no_secret(
    run_suite: RunSuite, gateway_factory: Callable[..., str], tmp_path: Path
) -> None:
    page, markdown = tmp_path / "run.html", tmp_path / "run.md"
    run = run_suite(SUITE, *live(gateway_factory("token-echo-body")), "--report", str(markdown), "--report", str(page),
                    "--report-json", str(tmp_path / "run.json"), env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 1, run.output[-3000:]
    # --report is repeatable, each path in its format (the CI templates keep both)
    assert f"conformance report written to {page}" in run.output and f"written to {markdown}" in run.output
    assert markdown.read_text(encoding="utf-8").startswith("## Conformance of")
    html = page.read_text(encoding="utf-8")
    # The gateway quoted the token in its answers: no form of it (raw, escaped, encoded, cut) reached the page.
    assert find(html, extra=[TOKEN]) == [], "the token is in the HTML report"
    assert html.startswith("<!DOCTYPE html>") and "<link" not in html and " src=" not in html

    rendered = browser.open_page(page)
    assert rendered.errors == [], rendered.errors  # no uncaught exception, no CSP refusal, no console error
    assert rendered.script_marker == "ran", "the page's inline script did not run (its CSP hash is wrong?)"
    assert rendered.requests == [page.resolve().as_uri()], "the page asked for something beyond itself"
    text = rendered.text
    assert text.index("Red: the gateway broke 1 rule") < text.index("What failed:") < text.index(LEAK.id)
    assert text.index(LEAK.id) < text.index("Rules"), "the broken rule is not named before the rules' table"
    assert "failed" in text and "answered 401" in text and "Send it again" in text
    assert "curl -sS -X DELETE" in text, "the failure's request is not offered as a command to send it again"
    assert find(text, extra=[TOKEN]) == []
    assert rendered.screenshot.startswith(b"\x89PNG")
    # The page says what the JSON report says: the same rules failed.
    failed = {rule["id"] for rule in json.loads((tmp_path / "run.json").read_text())["rules"]
              if rule["outcome"] == "failed"}
    assert failed == {LEAK.id}


def report(message: str, *, outcome: str = "failed", **extra: Any) -> dict[str, Any]:
    """A JSON report (report.to_json's shape) of one rule whose result says ``message``."""
    entries = [{"id": rule.id, "outcome": outcome if rule is LEAK else "passed", "tests": ["t"],
                "message": message if rule is LEAK else ""} for rule in rules.RULES.values()]
    return {"run": {"target": "live", "gateway": "g", "base_url": "http://127.0.0.1:1/apiops", "project": "P",
                    "date": "2026-01-01", "run_id": "r", "edition": "2025-12 (x)", "edition_evidence": []},
            "summary": {"passed": len(entries) - 1, outcome: 1}, "rules": entries, **extra}


def test_what_a_gateway_said_is_escaped_and_runs_no_script_in_a_browser(tmp_path: Path) -> None:
    """A gateway's answer is hostile: quoted in a failure, leftover or stack cause, it is text, never markup."""
    hostile = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">'
    page = tmp_path / "hostile.html"
    page.write_text(report_html.render(report(f"test_x: DELETE http://h/a answered 401: {hostile}",
                                              leftovers=[{"project": "P", "username": hostile, "answer": hostile,
                                                          "listed": True}],
                                              stack={hostile: hostile}), [hostile]), encoding="utf-8")
    html = page.read_text(encoding="utf-8")
    assert "<img src=x" not in html and '<script>document.title' not in html
    rendered = browser.open_page(page)
    assert rendered.errors == [] and rendered.script_marker == "ran", rendered.errors
    assert hostile in rendered.text  # shown as the text it is
    assert rendered.requests == [page.resolve().as_uri()]


def test_no_form_of_a_registered_token_in_the_data_reaches_the_page() -> None:
    """The page is redacted whole, whatever part of the data a token hides in (the message, a leftover, a note)."""
    redaction.register(TOKEN)  # as the suite does with the token it sends
    forms = [TOKEN, base64.b64encode(f"Bearer {TOKEN}".encode()).decode(), TOKEN[:12]]
    page = report_html.render(report("test_x: " + " ".join(forms),
                                     leftovers=[{"project": "P", "username": "u", "answer": TOKEN, "listed": True}],
                                     infrastructure={f"a proxy said {TOKEN}": TOKEN}), [f"note {TOKEN}"])
    assert find(page, extra=[TOKEN]) == [] and "[REDACTED]" in page


def test_a_failure_carrying_a_curl_shows_it_to_send_again_and_one_without_leaves_a_slot_saying_why() -> None:
    curl = 'curl -X DELETE "http://h/apiops/projects/P/credentials/u/" \\\n  -H "Authorization: Bearer $APIOPS_TOKEN"'
    shown = report_html.render(report(f"test_x: DELETE http://h/apiops/projects/P/credentials/u/ answered 500\n\n"
                                      f"{curl}\n"), [])
    assert '<pre class="command">curl -X DELETE &#34;http://h/apiops/projects/P/credentials/u/&#34; \\\n' \
           '  -H &#34;Authorization: Bearer $APIOPS_TOKEN&#34;</pre>' in shown
    slot = report_html.render(report("test_x: DELETE http://h/apiops/projects/P/credentials/u/ answered 500"), [])
    assert "No reproduction command" in slot and "--record --recordings DIR" in slot
    assert "<code>DELETE http://h/apiops/projects/P/credentials/u/</code>" in slot  # the request line it does name


def test_what_a_living_staging_did_is_said_apart_from_what_fails_the_run() -> None:
    line = "lists lagged behind writes: 1 read waited 1.2 s"
    page = report_html.render(report("", outcome="passed", living=[line]), [line])
    assert "Green:" in page and f"<li>{line}</li>" in page
    assert "What fails the run beyond its tests" not in page


def test_a_green_run_says_green_and_a_stopped_run_says_what_stopped_it() -> None:
    green = report_html.render(report("", outcome="passed"), [])
    assert "Green: the gateway kept every rule this run verified" in green and 'class="verdict green"' in green
    stopped = report(""); stopped["run"]["stopped"] = "the token is no longer accepted (401)"  # noqa: E702
    page = report_html.render(stopped, ["2 credential(s) left behind (see above)"])
    assert "Red: the run stopped before its tests ended" in page
    assert "What stopped the run:</strong> the token is no longer accepted (401)" in page
    assert "What fails the run beyond its tests:</strong> 2 credential(s) left behind" in page


def test_an_installed_package_carries_the_template_and_its_style(tmp_path: Path) -> None:
    """What setuptools copies into an install (build_py: the modules and the package data), from a copy of the
    project, since a build writes beside its sources."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "contracts", source / "contracts", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                            "--build-lib", str(tmp_path / "lib")],
                           cwd=source, capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    installed = tmp_path / "lib" / "contracts" / "templates"
    assert sorted(path.name for path in installed.iterdir()) == ["report.css", "report.html.j2"]


def test_without_a_browser_a_self_test_that_needs_one_fails_rather_than_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="no headless Chromium is installed: .ci/run installs it"):
        browser.chromium()
