"""Deletions that do not happen, or reach too far: the wrong credentials found, or removed with the named one."""

from __future__ import annotations

from collections.abc import Callable

from contracts import rules
from contracts.gateway.faults.registry import Family, replace_step
from contracts.gateway.model import Gateway
from contracts.gateway.state import Credential, Project

FAMILY = Family()


@FAMILY.patch("delete-not-done",
              [rules.PERMANENT, rules.GRANTS_REVOKED, rules.EXACTLY_ONE, rules.ENCODED, rules.ONE_OF_TWO],
              "answers 200 but the credential stays (never committed)")
def _delete_not_done(gateway: Gateway) -> None:
    def uncommitted(credential: Credential) -> None:
        return None

    replace_step(gateway, "remove_credential", uncommitted)


@FAMILY.patch("delete-whole-project", [rules.EXACTLY_ONE, rules.DELETED, rules.ENCODED],
              "deletes every credential of the project (the DELETE's WHERE clause lost its username)")
def _delete_whole_project(gateway: Gateway) -> None:
    remove = gateway.remove_credential

    def everything(credential: Credential) -> None:
        for other in [c for c in gateway.credentials.values() if c.project == credential.project]:
            remove(other)

    replace_step(gateway, "remove_credential", everything)


def _also_remove(gateway: Gateway, also: Callable[[str, str], bool]) -> None:
    """The named credential goes, and with it each one of its project whose username ``also(named, other)``."""
    remove = gateway.remove_credential

    def wider(credential: Credential) -> None:
        for other in [c for c in gateway.credentials.values()
                      if c.project == credential.project and (c is credential or also(credential.username,
                                                                                      c.username))]:
            remove(other)

    replace_step(gateway, "remove_credential", wider)


@FAMILY.patch("delete-by-prefix", [rules.EXACTLY_ONE],
              "also deletes every credential whose username extends the named one (LIKE 'name%')")
def _by_prefix(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: other.startswith(named))


@FAMILY.patch("delete-contained-names", [rules.EXACTLY_ONE],
              "also deletes every credential whose username is contained in the named one (a reversed LIKE)")
def _contained(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: other in named)


_KEY_LENGTH = 48


@FAMILY.patch("delete-by-truncated-name", [rules.EXACTLY_ONE, rules.DELETED, rules.ENCODED],
              f"compares usernames on their first {_KEY_LENGTH} characters (a CHAR({_KEY_LENGTH}) key), so "
              "credentials sharing that prefix go too")
def _truncated(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: named[:_KEY_LENGTH] == other[:_KEY_LENGTH])


@FAMILY.patch("delete-every-case-variant", [rules.EXACTLY_ONE],
              "also deletes every credential whose username differs from the named one only in case")
def _every_case_variant(gateway: Gateway) -> None:
    _also_remove(gateway, lambda named, other: named.casefold() == other.casefold())


@FAMILY.patch("delete-case-insensitive", [rules.USERNAME_CASE],
              "finds and deletes a case variant of a username (a case-insensitive collation)")
def _case_insensitive(gateway: Gateway) -> None:
    find = gateway.find_credential

    def folded(project: Project, username: str) -> Credential:
        for credential in gateway.credentials.values():
            if credential.project == project.name and credential.username.casefold() == username.casefold():
                return credential
        return find(project, username)

    replace_step(gateway, "find_credential", folded)


@FAMILY.patch("delete-ignores-project", [rules.SCOPED],
              "finds, and deletes, a credential of another project through this one (looked up by username alone)")
def _ignores_project(gateway: Gateway) -> None:
    find = gateway.find_credential

    def unscoped(project: Project, username: str) -> Credential:
        return gateway.credentials.get(username) or find(project, username)

    replace_step(gateway, "find_credential", unscoped)
