"""Slowness: a successful delete that answers later than the suite waits for."""

from __future__ import annotations

from contracts import rules
from contracts.gateway.faults.registry import Family, Fault, rule_ids

FAMILY = Family()


FAMILY.add(Fault("slow-delete", "takes 1.2 s more to answer a successful delete (a synchronous undeployment "
                                "round-trip)",
                 rule_ids(rules.TIMELY), delay=1.2, wire_only=True))
