"""The README's generated tables (rules, faults, options), each between its ``<!-- name:begin/end -->`` markers
wherever they are in README.md."""

from __future__ import annotations

from collections.abc import Callable

from contracts import editions, rules, settings
from contracts.gateway.faults import FAULTS
from contracts.pages.common import DocsError, cell, distinct
from contracts.pages.verified import tests_by_rule


def rules_table() -> str:
    every = editions.all_editions()
    rows = ["| rule | class | " + " | ".join(f"expected answer, {edition.id}" for edition in every) + " | sources |",
            "| --- | --- | " + " | ".join("---" for _ in every) + " | --- |"]
    for rule in rules.RULES.values():
        answers = " | ".join(cell(edition.answer(rule).summary()) if rule.answer else "–" for edition in every)
        sources = "<br>".join(f"[{edition.id}: {source.cite()}]({source.url})" if source.url else
                              f"{edition.id}: {source.cite()}" for edition, source in distinct(rule.sources()))
        rows.append(f"| `{rule.id}`<br>{cell(rule.statement)} | {rule.kind} | {answers} | {sources} |")
    return "\n".join(rows)


# How a fault no rule names is caught instead.
CAUGHT_AS = {"preflight": "the preflight stops the run in one line (exit 4)",
             "leftovers": "the run fails listing what it left, and the command that removes it"}


def faults_table() -> str:
    by_rule = tests_by_rule()
    every = editions.all_editions()
    rows = ["| fault | what the gateway does | caught as | by | " + " | ".join(f"{e.id}" for e in every) + " |",
            "| --- | --- | --- | --- | " + " | ".join("---" for _ in every) + " |"]
    for name, fault in FAULTS.items():
        if fault.breaks:
            caught = "<br>".join(f"`{rule_id}`" for rule_id in fault.breaks)
            tests = sorted({test.name for rule_id in fault.breaks for test in by_rule[rule_id]})
            by = f"{len(tests)} tests" if len(tests) > 3 else "<br>".join(f"`{test}`" for test in tests)
        else:
            caught, by = "", ""
        caught = "<br>".join(part for part in (caught, CAUGHT_AS.get(fault.caught_as, "")) if part)
        where = " | ".join("caught" if fault.applies(edition) else "no counterpart" for edition in every)
        rows.append(f"| `{name}` | {cell(fault.does)} | {caught} | {by} | {where} |")
    return "\n".join(rows)


def options_table() -> str:
    rows = ["| option | environment | ini | default | meaning |", "| --- | --- | --- | --- | --- |"]
    for option in settings.OPTIONS:
        flag = f"`--{option.flag}" + (f" {{{','.join(option.choices)}}}`" if option.choices else
                                     ("`" if option.flag_only else f" {option.metavar or 'VALUE'}`"))
        rows.append(f"| {flag} | {f'`{option.env}`' if option.env else '–'} | "
                    f"{f'`{option.ini_name}`' if option.ini_name else '–'} | "
                    f"{f'`{option.default}`' if option.default and not option.flag_only else '–'} | "
                    f"{cell(option.help)} |")
    return "\n".join(rows)


README_TABLES: dict[str, Callable[[], str]] = {"rules": rules_table, "faults": faults_table,
                                               "options": options_table}


def render_readme(text: str) -> str:
    for name, table in README_TABLES.items():
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        head, found, rest = text.partition(begin)
        _, found_end, tail = rest.partition(end)
        if not found or not found_end:
            raise DocsError(f"README.md has no {begin} … {end} block")
        text = f"{head}{begin}\n{table()}\n{end}{tail}"
    return text

