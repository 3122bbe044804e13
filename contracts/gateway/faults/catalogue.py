"""Every fault, in the order the README's fault table (contracts/pages.py) and ``--list-faults`` show them, and
how a gateway is started with some of them: ``apply_faults`` patches the model and returns the response hooks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from contracts.gateway.faults import (
    after_deletion,
    authentication,
    bodies,
    deletion,
    echoes,
    hostile,
    published_spec,
    slowness,
    statuses,
    usernames,
)
from contracts.gateway.faults.registry import Family, Fault, Headers, RequestInfo, ResponseHook, Transform, Wire
from contracts.gateway.model import Gateway


class UnknownFault(ValueError):
    """A fault name that is not in :data:`FAULTS`."""


def _catalogue(*families: Family) -> dict[str, Fault]:
    faults: dict[str, Fault] = {}
    for family in families:
        for fault in family.faults:
            assert fault.name not in faults, fault.name
            faults[fault.name] = fault
    return faults


FAULTS: dict[str, Fault] = _catalogue(statuses.FAMILY, bodies.FAMILY, authentication.FAMILY, deletion.FAMILY,
                                      after_deletion.FAMILY, echoes.FAMILY, hostile.FAMILY, usernames.FAMILY,
                                      published_spec.FAMILY, slowness.FAMILY)


def lookup(names: Iterable[str]) -> list[Fault]:
    """The faults named, in order, duplicates dropped; :class:`UnknownFault` names the first unknown one."""
    faults: list[Fault] = []
    for name in names:
        if name not in FAULTS:
            raise UnknownFault(f"unknown fault {name!r} (see python -m contracts.gateway --list-faults)")
        if FAULTS[name] not in faults:
            faults.append(FAULTS[name])
    return faults


def apply_faults(gateway: Gateway, names: Iterable[str]) -> dict[str, ResponseHook]:
    """Patch ``gateway`` with the named faults; return the response hook of each operation they touch.

    Every name is checked before anything is patched.
    """
    faults = lookup(names)
    for fault in faults:
        if fault.patch is not None:
            fault.patch(gateway)
    hooks: dict[str, ResponseHook] = {}
    for operation in {fault.operation for fault in faults}:
        mine = [fault for fault in faults if fault.operation == operation]
        hooks[operation] = _hook([fault.transform for fault in mine if fault.transform is not None],
                                 sum(fault.delay for fault in mine))
    return hooks


def _hook(transforms: list[Transform], delay: float) -> ResponseHook:
    async def hook(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
        if delay and status == 200:  # a success: the answer that (un)deploys
            await asyncio.sleep(delay)  # not time.sleep: other requests keep being served
        for transform in transforms:
            status, headers, body = transform(info, status, headers, body)
        return status, headers, body

    return hook


async def no_fault(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    """The hook of every operation that faults do not touch."""
    return status, headers, body


def fault_lines() -> list[str]:
    """One line per fault (``--list-faults``)."""
    return [fault.line() for fault in FAULTS.values()]
