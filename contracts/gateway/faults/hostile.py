"""A gateway that will not let go: redirects to another credential, a lock that keeps a credential from the
clean-up (caught as leftovers), bodies that drip, arrive late or never end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from contracts import rules
from contracts.gateway.faults.registry import (
    Family,
    Fault,
    Headers,
    RequestInfo,
    Transform,
    Wire,
    answered_as,
    edition_of,
    json_text,
    replace_step,
    rule_ids,
)
from contracts.gateway.model import Gateway

FAMILY = Family()


def _redirect(status: int, other_host: bool) -> Transform:
    def transform(info: RequestInfo, answered: int, headers: Headers, body: Any) -> Wire:
        origin = info.origin
        if other_host:  # the same gateway under another name: the credentials of the other host
            origin = origin.replace("127.0.0.1", "localhost") if "127.0.0.1" in origin else \
                origin.replace("localhost", "127.0.0.1")
        victim = f"{origin}/apiops/projects/{quote(info.params['projectName'], safe='')}/credentials/api-user/"
        return status, {"location": victim}, None

    return transform


for _status in (307, 308):
    for _other_host in (False, True):
        FAMILY.add(Fault(
            f"redirect-{_status}-to-an-existing-credential{'-on-another-host' if _other_host else ''}",
            f"answers every delete with {_status}, pointing at a pre-existing credential (api-user) "
            f"{'of another host name' if _other_host else 'of the same host'}",
            rule_ids(rules.DOCUMENTED), transform=_redirect(_status, _other_host)))


_REFUSED = "stuck-after-a-refused-delete"  # its state in the model (fault_state)


def _lock_refused(gateway: Gateway) -> None:
    delete = gateway.delete_credential
    refused = gateway.fault_state.setdefault(_REFUSED, set())

    def locked(project: str, username: str) -> dict[str, Any]:
        if username in refused:
            raise RuntimeError("credential locked by an earlier request")  # -> 500, the credential stays
        return delete(project, username)

    replace_step(gateway, "delete_credential", locked)


def _note_refused(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if status == edition_of(info).answer(rules.REFUSED_TOKEN).status:
        info.gateway.fault_state.setdefault(_REFUSED, set()).add(info.params["username"])
    return status, headers, body


FAMILY.add(Fault("stuck-after-a-refused-delete",
                 "after a refused (401) delete of a credential, answers every later delete of it 500 and keeps it "
                 "(a lock the refused request left), so the clean-up cannot remove it",
                 rule_ids(rules.DOCUMENTED, rules.MALFORMED_REJECTED), caught_as="leftovers", patch=_lock_refused,
                 transform=_note_refused))


async def _drip(data: bytes, pause: float) -> AsyncIterator[bytes]:
    for position in range(len(data)):
        await asyncio.sleep(pause)
        yield data[position:position + 1]


@FAMILY.transform("body-drips", [rules.TIMELY],
                  "sends the body of its answer to a request without Authorization one byte every half second",
                  wire_only=True)
def _drips(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if info.authorization is None and isinstance(body, dict):
        return status, headers, _drip(json_text(body).encode(), 0.5)
    return status, headers, body


async def _late(data: bytes, delay: float) -> AsyncIterator[bytes]:
    await asyncio.sleep(delay)
    yield data


@FAMILY.transform("body-after-a-delay", [rules.TIMELY],
                  "sends a successful delete's headers at once and its body 1.2 s later, once undeployed (a budget "
                  "that stops at the headers passes)", wire_only=True)
def _late_body(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if body is None or status != edition_of(info).answer(rules.SUCCESS).status:
        return status, headers, body
    return status, headers, _late(json_text(body).encode() if not isinstance(body, bytes) else body, 1.2)


_HUGE = 800 * 1024 * 1024


async def _huge(data: bytes) -> AsyncIterator[bytes]:
    yield data[:-1]
    chunk = b" " * (1024 * 1024)  # JSON whitespace: still the same JSON, only endless
    for _ in range(_HUGE // len(chunk)):
        yield chunk
    yield data[-1:]


@FAMILY.transform("huge-body", [rules.DOCUMENTED], "pads the unknown project's answer with 800 MB of whitespace",
                  wire_only=True)
def _huge_body(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    if answered_as(info, status, body, rules.UNKNOWN_PROJECT):
        return status, headers, _huge(json_text(body).encode())
    return status, headers, body
