"""``python -m contracts.pages``: write everything generated from the rulebook, or (``--check``) say what is stale."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from contracts import editions, recording, rules
from contracts.drift.load import load
from contracts.pages import exchanges, page
from contracts.pages.common import OUTPUT, README, SPEC, DocsError, Recorded, shown
from contracts.pages.openapi import edition_document, render_spec
from contracts.pages.readme import render_readme
from contracts.recording import RecordingError
from contracts.redaction import redact
from contracts.settings import commands
from contracts.spec import Contract, SpecError
from contracts.spec import load as load_contract


def generate(recordings_root: Path, contracts: dict[str, Contract] | None = None,
             output: Path = OUTPUT) -> dict[Path, str]:
    """The living documentation: the rules page at ``output`` and, beside it, each recorded edition's exchanges
    (exchanges/<edition id>.md), from the recording of each edition under ``recordings_root/<edition id>``.

    ``contracts``: each edition's document as it will be written (else as it is)."""
    try:
        found: Recorded = []
        for edition in editions.all_editions():
            document = (contracts or {}).get(edition.id) or load_contract(edition)
            directory = recording.default_dir(edition.id, recordings_root)
            found.append((edition, document, load(directory) if directory.is_dir() else None))
        if not any(recorded_ for _, _, recorded_ in found):
            raise DocsError(f"{recordings_root}: no recording of any edition (one directory per edition id: "
                            f"{', '.join(editions.ids())})")
        pages = {output: redact(page.render(found))}
        for edition, document, recordings in found:
            if recordings is not None:
                text = exchanges.render(edition, document, recordings, f"../{output.name}")
                pages[exchanges.path_of(output, edition)] = redact(text)
        return pages
    except (SpecError, RecordingError, editions.EditionError) as exc:
        raise DocsError(str(exc)) from None
def outputs(args: argparse.Namespace) -> dict[Path, str]:
    """Every file this writes, with what it should hold (the page describes the spec as it will be)."""
    spec = SPEC
    spec_text = render_spec(spec.read_text(encoding="utf-8"), editions.base())
    try:
        contract = Contract(yaml.safe_load(spec_text), spec)
    except yaml.YAMLError as exc:
        raise DocsError(f"{spec}: not valid YAML ({str(exc).splitlines()[0]})") from None
    written = {README: render_readme(README.read_text(encoding="utf-8")), spec: spec_text}
    contracts = {editions.base().id: contract}
    for edition in editions.others(editions.base()):
        written[edition.document] = edition_document(spec_text, edition)
        contracts[edition.id] = Contract(yaml.safe_load(written[edition.document]), edition.document)
    written.update(generate(args.recordings, contracts, args.output))
    return written


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    args = commands.parser("pages").parse_args(argv)  # declared in contracts/settings/commands.py
    # Defaults of the layers above the settings', which the declaration's help names.
    args.recordings = recording.ROOT_DIR if args.recordings is None else args.recordings
    args.output = OUTPUT if args.output is None else args.output
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.rules:
        for rule in rules.RULES.values():
            print(f"{rule.id}  [{rule.kind}]  {rule.statement}")
        return 0
    try:
        wanted = outputs(args)
    except DocsError as exc:
        print(f"docs: {exc}", file=sys.stderr)
        return 2
    stale = [path for path, text in wanted.items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            why = "is missing" if not path.is_file() else "is out of date with the rulebook and the recordings"
            print(f"docs: {shown(path)} {why}: run {_command(args)}", file=sys.stderr)
        if not stale:
            print("everything generated is up to date")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[path], encoding="utf-8", newline="\n")
        print(f"wrote {shown(path)}")
    if not stale:
        print("everything generated is up to date")
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command that regenerates: the options of this run, where not the defaults."""
    command = "python -m contracts.pages"
    if args.recordings != recording.ROOT_DIR:
        command += f" --recordings {args.recordings}"
    if args.output != OUTPUT:
        command += f" --output {args.output}"
    return command
