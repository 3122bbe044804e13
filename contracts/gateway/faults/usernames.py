"""Server errors on unusual usernames: non-ASCII, with an '@', or decoded a second time."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

from contracts import rules
from contracts.gateway.faults.registry import Family, replace_step
from contracts.gateway.model import Gateway

FAMILY = Family()


@FAMILY.patch("server-error-on-non-ascii", [rules.ENCODED, rules.DOCUMENTED, rules.DELETED, rules.MALFORMED_REJECTED],
              "answers 500 for a non-ASCII username (the audit line is encoded as ASCII)")
def _non_ascii(gateway: Gateway) -> None:
    delete = gateway.delete_credential

    def audited(project: str, username: str) -> dict[str, Any]:
        f"DELETE credential {username} in {project}".encode("ascii")  # UnicodeEncodeError -> 500
        return delete(project, username)

    replace_step(gateway, "delete_credential", audited)


@FAMILY.patch("server-error-on-at-sign", [rules.ENCODED, rules.DOCUMENTED],
              "answers 500 for a username with '@' (read as user@realm, and the realm is unknown)")
def _at_sign(gateway: Gateway) -> None:
    delete = gateway.delete_credential
    realms = {"": "local"}

    def realm_lookup(project: str, username: str) -> dict[str, Any]:
        realms[username.rpartition("@")[2] if "@" in username else ""]  # KeyError -> 500
        return delete(project, username)

    replace_step(gateway, "delete_credential", realm_lookup)


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@FAMILY.patch("double-decode", [rules.ENCODED, rules.EXACTLY_ONE, rules.DOCUMENTED],
              "decodes a username a second time like Java's URLDecoder: '+' becomes a space, '%41' an 'A' (another "
              "credential), and a stray '%' answers 500")
def _double_decode(gateway: Gateway) -> None:
    delete = gateway.delete_credential

    def decoded_again(project: str, username: str) -> dict[str, Any]:
        if _BAD_ESCAPE.search(username):
            raise ValueError("URLDecoder: Illegal hex characters in escape (%) pattern")  # -> 500
        return delete(project, unquote_plus(username))

    replace_step(gateway, "delete_credential", decoded_again)
