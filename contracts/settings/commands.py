"""The command lines of the suite's own tools, declared once, as data: each command's prog, description and
arguments. A tool gets its parser here (``parser("cleanup")``) and declares nothing itself.

An option a pytest run has too (:data:`~contracts.settings.OPTIONS`: the project, the concurrency, the rate
limit) is shared from there, with its help and metavar, and its ``APIOPS_*`` variable as its default. A default
this layer cannot know (a path of a layer above it, such as the shipped recordings) is declared ``None``: the tool
fills it in, and the help says what it is. The reference gateway's command line is its own
(contracts/gateway/__main__.py): the gateway may not import the suite.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import editions
from contracts.settings import BASE_URL_HELP, OPTIONS, variable

# python -m contracts.drift: a response is reported slower only past both (contracts/drift/compare.py Thresholds).
SLOWDOWN_FACTOR = 2.0
SLOWDOWN_MS = 100


@dataclass(frozen=True)
class Argument:
    name: str  # "--flag", or a positional argument's name
    help: str
    default: Any = None
    metavar: str | None = None
    kind: Callable[[str], Any] | None = None  # turns the text given into the value (argparse's type)
    choices: tuple[str, ...] | None = None
    switch: bool = False  # a flag without a value: True when given
    repeatable: bool = False  # the flag may be given again: a list of every value
    required: bool = False
    env: str | None = None  # the default is this variable's value (a declared one), and the help says so


@dataclass(frozen=True)
class Command:
    prog: str
    description: str
    arguments: tuple[Argument, ...]


def shared(flag: str) -> Argument:
    """An option of the suite's (OPTIONS), on a tool's command line: its help and metavar, its variable the default."""
    (option,) = (option for option in OPTIONS if option.flag == flag)
    return Argument(f"--{option.flag}", option.help, metavar=option.metavar, env=option.env)


COMMANDS: dict[str, Command] = {
    "cleanup": Command(
        "python -m contracts.cleanup",
        "List (and with --yes delete) the credentials a contract-suite run left in a project. Touches nothing outside "
        "apiops-ct-<run id>-. The token comes from APIOPS_TOKEN, or a service account's APIOPS_CLIENT_ID and "
        "APIOPS_CLIENT_SECRET.",
        (Argument("--run-id", "the run whose credentials to remove", required=True),
         Argument("--base-url", BASE_URL_HELP, env="APIOPS_BASE_URL"),
         Argument("--yes", "delete them (default: only list them)", switch=True),
         shared("project"), shared("concurrency"), shared("rate-limit"))),
    "drift": Command(
        "python -m contracts.drift",
        "Compare two recordings of the contract suite (e.g. before and after a gateway upgrade) and classify every "
        "difference as breaking or compatible.",
        (Argument("before", "the baseline recordings directory (with recording.yaml)", kind=Path),
         Argument("after", "the current recordings directory", kind=Path),
         Argument("--json", "print JSON instead of Markdown", switch=True),
         Argument("--slowdown-factor", f"report a response slower than X times the baseline (default "
                  f"{SLOWDOWN_FACTOR:g}) ...", SLOWDOWN_FACTOR, "X", float),
         Argument("--slowdown-ms", f"... and slower by more than MS milliseconds (default {SLOWDOWN_MS})",
                  SLOWDOWN_MS, "MS", int))),
    "pages": Command(
        "python -m contracts.pages",
        "Write what is generated from the rulebook: the living documentation, openapi.yaml's DELETE responses, the "
        "README's tables.",
        # Their defaults are the layers' above (contracts/recording.py, contracts/pages/): the tool fills them in.
        (Argument("--recordings", "recordings to document, one directory per edition id (default: "
                  "contracts/recordings)", metavar="DIR", kind=Path),
         Argument("--output", "the rules page (default: docs/delete-credential.md); each edition's recorded "
                  "exchanges go beside it, into exchanges/<edition id>.md", metavar="FILE", kind=Path),
         Argument("--check", "write nothing; exit 1 if anything is not what would be written", switch=True),
         Argument("--rules", "print the rule ids and statements, and exit", switch=True))),
    "regenerate": Command(
        "python -m contracts.regenerate",
        "Regenerate every generated file and shipped recording, in order: the contract documents, the recordings, "
        "the living docs.",
        (Argument("--edition", f"re-record only this edition (repeatable; default: all of "
                  f"{', '.join(editions.ids())})", metavar="E", choices=editions.ids(), repeatable=True),)),
}


def parser(name: str) -> argparse.ArgumentParser:
    """The command line of the tool ``name`` (a key of :data:`COMMANDS`), as declared there."""
    command = COMMANDS[name]
    built = argparse.ArgumentParser(prog=command.prog, description=command.description)
    for argument in command.arguments:
        built.add_argument(argument.name, **_keywords(argument))
    return built


def _keywords(argument: Argument) -> dict[str, Any]:
    text = argument.help.replace("%", "%%")  # argparse formats help with %
    if argument.switch:
        return {"action": "store_true", "help": text}
    if argument.env:
        text += f" (default: {argument.env})"
    keywords: dict[str, Any] = {"help": text, "metavar": argument.metavar,
                                "default": variable(argument.env) if argument.env else argument.default}
    if argument.kind is not None:
        keywords["type"] = argument.kind
    if argument.choices is not None:
        keywords["choices"] = argument.choices
    if argument.repeatable:
        keywords["action"] = "append"
    if argument.required:
        keywords["required"] = True
    return keywords
