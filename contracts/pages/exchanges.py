"""The recorded exchanges of one edition (docs/exchanges/<edition id>.md): every scenario test with every exchange
it had when the edition's recording was made, each DELETE in full (a curl command and the JSON answered).

Every test, case and DELETE has an anchor (``<test>``, ``<test>-<case>``, ``<test>[-<case>]-<step>``): the rules
page links each rule's recorded example to one of them.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.drift.load import NAMESPACE_MARKER, LoadedRecording, TestRecording
from contracts.editions import Edition
from contracts.pages.common import GENERATED, DocsError, status_line
from contracts.pages.verified import ContractTest, contract_tests
from contracts.recording import Interaction
from contracts.redaction import PLACEHOLDER
from contracts.spec import OPERATION, Contract

DIRECTORY = "exchanges"  # beside the rules page
API_URL = "https://<manager>/apiops"  # base-url.md: the Manager URL with /apiops appended
TOKEN = "$APIOPS_TOKEN"  # what a reader's shell holds the token in (as the suite does)
JSON_WIDTH = 100


def path_of(page: Path, edition: Edition) -> Path:
    """Where ``edition``'s exchanges are written, for the rules page at ``page``."""
    return page.parent / DIRECTORY / f"{edition.id}.md"


def link(edition: Edition, anchor_: str) -> str:
    """The link from the rules page to an anchor of ``edition``'s exchanges."""
    return f"{DIRECTORY}/{edition.id}.md#{anchor_}"


def anchor(test: str, case: str = "", step: int | None = None) -> str:
    parts = [test] + ([re.sub(r"[^\w-]+", "-", case)] if case else []) + ([str(step)] if step is not None else [])
    return "-".join(parts)


def html_anchor(anchor_: str) -> str:
    return f'<a id="{anchor_}"></a>'


@dataclass(frozen=True)
class Delete:
    """One recorded DELETE of the endpoint, and where its exchanges page shows it."""

    interaction: Interaction
    anchor: str


Cases = dict[tuple[str, str], dict[str, TestRecording]]  # (module, test) -> case id ("" if none) -> its recording


def cases(recordings: LoadedRecording) -> Cases:
    grouped: Cases = {}
    for nodeid, recorded_test in sorted(recordings.tests.items()):
        module, _, name = nodeid.partition("::")
        found = re.fullmatch(r"(?P<function>[^\[]+)(?:\[(?P<case>.*)\])?", name)
        if not found:
            raise DocsError(f"recording of {nodeid!r}: not a test node id")
        grouped.setdefault((module, found["function"]), {})[found["case"] or ""] = recorded_test
    return grouped


def deletes(recordings: LoadedRecording, contract: Contract) -> dict[tuple[str, str], list[Delete]]:
    """Every recorded DELETE of the endpoint by (module, test), in the order its page shows them."""
    found: dict[tuple[str, str], list[Delete]] = {}
    for key, by_case in cases(recordings).items():
        found[key] = [Delete(exchange.interaction, anchor(key[1], case, step))
                      for case, recorded_test in by_case.items()
                      for step, exchange in enumerate(recorded_test.exchanges, start=1)
                      if _operation(exchange.interaction, contract) == OPERATION]
    return found


def render(edition: Edition, contract: Contract, recordings: LoadedRecording, rules_page: str) -> str:
    """``edition``'s exchanges page; ``rules_page`` is the rules page's address from it."""
    meta = recordings.meta
    source = f"{meta.get('gateway', 'a gateway')} (version {meta.get('gateway_version', 'unknown')})"
    summary = contract.operations[OPERATION].definition.get("summary", OPERATION)
    lines = [
        f"<!-- {GENERATED}, contracts/editions and contracts/recordings/{edition.id}: do not edit by hand. -->", "",
        f"# {summary}: the recorded exchanges, {edition}", "",
        f"Every scenario test, with every exchange it had, in order, when recorded from the {source} answering in "
        f"the {edition.id} edition. Every DELETE is shown in full; the calls that set it up or check its effect are "
        "listed by operation. A test's last DELETE is often the suite's clean-up of the credential it created. "
        f"The rules these tests verify: [the rules page]({rules_page}).", "",
        f"- `{NAMESPACE_MARKER}` stands for the name prefix of the recorded run (`apiops-ct-<run id>-<test>-`): "
        "every credential and project name the suite invents carries one.",
        f"- `{TOKEN}` stands for your Personal API Access Token, `https://<manager>` for your Manager URL.", ""]
    grouped = cases(recordings)
    for test in contract_tests():
        if test.recorded:
            lines += _test(test, grouped.get((test.module, test.name), {}), contract, rules_page)
    return "\n".join(lines).rstrip("\n") + "\n"


def _test(test: ContractTest, by_case: dict[str, TestRecording], contract: Contract, rules_page: str) -> list[str]:
    lines = [f"## {html_anchor(anchor(test.name))}`{test.name}`", ""]
    lines += [f"> {line}".rstrip() for line in (inspect.getdoc(test.function) or "").splitlines()]
    lines += ["", "Verifies " + ", ".join(f"[`{rule_id}`]({rules_page}#{rule_id})" for rule_id in test.rules) + ".",
              ""]
    for case, recorded_test in by_case.items():
        if case:
            lines += [f"### {html_anchor(anchor(test.name, case))}Case `{case}`", ""]
        lines += exchanges(recorded_test, contract, test.name, case)
    return lines


def exchanges(recorded_test: TestRecording, contract: Contract, test: str, case: str = "") -> list[str]:
    if not recorded_test.exchanges:
        return ["No exchange was recorded (the test was skipped).", ""]
    lines: list[str] = []
    for step, exchange in enumerate(recorded_test.exchanges, start=1):
        interaction = exchange.interaction
        operation = _operation(interaction, contract)
        if operation == OPERATION:
            lines += [f"**{html_anchor(anchor(test, case, step))}{step}.** {interaction.method}:", "",
                      "```sh", curl(interaction), "```", "", *response_block(interaction)]
        else:
            called = f" ({operation})" if operation else ""
            lines += [f"**{step}.** `{interaction.method} {interaction.path}`{called} → {interaction.status}", ""]
    return lines


def _operation(interaction: Interaction, contract: Contract) -> str | None:
    route = contract.route(interaction.method, interaction.path)
    return route.operation_id if route else None


def response_block(interaction: Interaction, width: int = JSON_WIDTH) -> list[str]:
    status = status_line(interaction.status)
    if interaction.json_body:
        return [f"→ **{status}**", "", "```json", pretty_json(interaction.response_body, width=width), "```", ""]
    text = str(interaction.response_body)
    return [f"→ **{status}**" + (", not JSON:" if text else ", no body"), "",
            *(["```text", text, "```", ""] if text else [])]


def pretty_json(value: Any, indent: int = 0, width: int = JSON_WIDTH) -> str:
    """Indented JSON, but any object or array that fits on one line (of ``width``) stays on one: shorter to read."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + len(flat) <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {pretty_json(item, indent + 2, width)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [inner + pretty_json(item, indent + 2, width) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def curl(interaction: Interaction) -> str:
    """The request as a curl command: placeholder host, the token as ``$APIOPS_TOKEN``."""
    parts = [f"curl -X {interaction.method}", f'"{_shell_quoted(API_URL + interaction.path)}"']
    for name, value in sorted(interaction.request_headers.items()):
        parts.append(f'-H "{_shell_quoted(f"{name}: {value}")}"')
    if interaction.request_body is not None:
        body = json.dumps(interaction.request_body, ensure_ascii=False).replace("'", "'\\''")
        parts.append(f"-d '{body}'")
    return " \\\n  ".join(parts)


def _shell_quoted(text: str) -> str:
    """``text`` for inside double quotes, the recorded token placeholder turned into ``$APIOPS_TOKEN``."""
    escaped = re.sub(r'(["\\$`])', r"\\\1", text)
    return escaped.replace(PLACEHOLDER, TOKEN)
