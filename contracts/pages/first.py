"""The rules page's opening (docs/delete-credential.md): what a newcomer asks before the rules.

Who may call the endpoint in each edition (the editions' ``callers``, with their pages), one recorded request
and its answer per edition, in full (as the exchanges pages show them: contracts/pages/exchanges.py), and what
the HTTP stack under a stock Manager means for usernames (contracts/stack.yaml). Every fact is the editions',
the recordings' or the stack's data; this module only lays them out.
"""

from __future__ import annotations

from urllib.parse import quote

from contracts import rules, stack
from contracts.editions import MISSING_PERMISSION, Edition
from contracts.pages import exchanges
from contracts.pages.common import cell
from contracts.pages.exchanges import Delete

USERNAMES = "usernames-on-a-stock-manager"  # the anchor of that section, for the rule's link
SAMPLE = "user{}name"  # a username with one character, as the suite sends it (one percent-encoded path segment)
STACK_PAGE = "stack.md"  # beside the rules page
# Wide enough for one entry of a deployment result a line (2026-08 lists one per pod): the answer in full, short.
EXAMPLE_WIDTH = 140


def render(every: list[Edition], examples: dict[str, Delete | None]) -> list[str]:
    """The opening sections; ``examples``: each edition's recorded DELETE to show (None: not recorded)."""
    return [*callers(every), *shown(every, examples), *usernames()]


def callers(every: list[Edition]) -> list[str]:
    lines = ["## Who may call it", "",
             "A token carries the permissions of the user who created it. That user needs, in each edition:", "",
             "| edition | to delete | for the undeployment that follows | without them | source |",
             "| --- | --- | --- | --- | --- |"]
    for edition in every:
        who = edition.callers
        scope = f" {who.scope}" if who.scope else ""
        source = f"[{who.source.cite()}]({who.source.url})" if who.source.url else who.source.cite()
        lines.append(f"| {edition.id} | {_names(who.delete)}{scope} | {_names(who.undeploy)}{scope} "
                     f"| {cell(edition.answer(MISSING_PERMISSION).summary())} | {source} |")
    return [*lines, ""]


def _names(names: tuple[str, ...]) -> str:
    return " + ".join(f"`{name}`" for name in names)


def shown(every: list[Edition], examples: dict[str, Delete | None]) -> list[str]:
    lines = ["## One request and its answer", "",
             f"A recorded delete of an existing credential, in each edition (`{exchanges.NAMESPACE_MARKER}` is the "
             f"recorded run's name prefix, `{exchanges.TOKEN}` your token, `https://<manager>` your Manager).", ""]
    for edition in every:
        example = examples.get(edition.id)
        if example is None:
            lines += [f"**{edition.id}**: not recorded.", ""]
            continue
        lines += [f"**{edition.id}** ([the whole test]({exchanges.link(edition, example.anchor)})):", "",
                  "```sh", exchanges.curl(example.interaction), "```", "",
                  *exchanges.response_block(example.interaction, EXAMPLE_WIDTH)]
    return lines


def usernames() -> list[str]:
    """The characters a stock Manager's firewall refuses in a username's path segment, from the stack's data."""
    the_stack = stack.load()
    answer = the_stack.answer(stack.FIREWALL)
    refused = [char for char in stack.PROBED
               if the_stack.firewall_refuses("DELETE", f"/credentials/{quote(SAMPLE.format(char), safe='')}/")]
    listed = ", ".join(f"`{char}` (`{quote(char, safe='')}`)" for char in refused)
    return [f"## {exchanges.html_anchor(USERNAMES)}What the Manager's stack means for usernames", "",
            f"A stock Manager runs on {the_stack.name}. Its default firewall ([{answer.by}]({answer.source})) "
            f"refuses a path whose username has {listed}, percent-encoded as base-url.md asks, before the Manager "
            f"or its token check sees it: {the_stack.status(stack.FIREWALL)} with Spring Boot's error body. Such a "
            "credential can be created (its username travels in the body) but not deleted, nor its password "
            f"changed, through its path. On such a Manager [`{rules.ENCODED.id}`](#{rules.ENCODED.id}) fails once, "
            f"naming the characters: the docs promise them, the stack refuses them ([{STACK_PAGE}]({STACK_PAGE})).",
            ""]
