"""Known deviations: rules a gateway is known to break, waived with a reason (``--deviations FILE``).

    deviations:
    - rule: the-credential-must-exist      # an id of contracts/rules.py
      reason: staging answers 404; APINIZER-1234 asks for the documented 400
      until: 2027-03-31                    # optional: after this date the entry fails the run
      ticket: https://tracker.example.com/APINIZER-1234   # optional

A failing rule that is listed is reported as a deviation and does not fail the run. A listed rule
that holds fails the run (strict, like ``xfail_strict``): the entry is stale. An entry past
``until`` waives nothing and fails the run. A malformed file or an unknown rule id is one line
at start (:class:`DeviationsError`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contracts import rules
from contracts.rules import Rule


class DeviationsError(Exception):
    """The deviations file cannot be used: one line naming it."""


@dataclass(frozen=True)
class Waiver:
    rule: Rule
    reason: str
    until: datetime.date | None = None
    ticket: str | None = None

    def expired(self, today: datetime.date) -> bool:
        return self.until is not None and today > self.until


@dataclass(frozen=True)
class Deviations:
    path: str | None
    waivers: dict[str, Waiver]
    today: datetime.date

    def waived(self, rule_id: str) -> bool:
        """Whether a failure of this rule is a known deviation (listed, and not expired)."""
        waiver = self.waivers.get(rule_id)
        return waiver is not None and not waiver.expired(self.today)

    def expired(self) -> list[Waiver]:
        return [waiver for waiver in self.waivers.values() if waiver.expired(self.today)]


NONE = Deviations(None, {}, datetime.date.today())


def load(path: str | None, today: datetime.date | None = None) -> Deviations:
    today = today or datetime.date.today()
    if not path:
        return Deviations(None, {}, today)
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeviationsError(f"--deviations {path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise DeviationsError(f"--deviations {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    entries = document.get("deviations") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise DeviationsError(f"--deviations {path}: expected a mapping with a `deviations:` list")
    waivers: dict[str, Waiver] = {}
    for number, entry in enumerate(entries, start=1):
        waiver = _waiver(path, number, entry)
        if waiver.rule.id in waivers:
            raise DeviationsError(f"--deviations {path}: entry {number} lists {waiver.rule.id} a second time")
        waivers[waiver.rule.id] = waiver
    return Deviations(path, waivers, today)


def _waiver(path: str, number: int, entry: Any) -> Waiver:
    where = f"--deviations {path}: entry {number}"
    if not isinstance(entry, dict):
        raise DeviationsError(f"{where} is not a mapping (rule, reason, until, ticket)")
    unknown_keys = set(entry) - {"rule", "reason", "until", "ticket"}
    if unknown_keys:
        raise DeviationsError(f"{where} has unknown keys: {', '.join(sorted(map(str, unknown_keys)))}")
    rule_id, reason = entry.get("rule"), entry.get("reason")
    if not isinstance(rule_id, str) or not rule_id:
        raise DeviationsError(f"{where} needs `rule`: a rule id (python -m contracts.pages --rules lists them)")
    try:
        rule = rules.get(rule_id)
    except rules.UnknownRule:
        raise DeviationsError(f"{where}: unknown rule id {rule_id!r} "
                              "(python -m contracts.pages --rules lists them)") from None
    if not isinstance(reason, str) or not reason.strip():
        raise DeviationsError(f"{where} ({rule_id}) needs `reason`: why, for people")
    until = entry.get("until")
    if until is not None and not isinstance(until, datetime.date):
        try:
            until = datetime.date.fromisoformat(str(until))
        except ValueError:
            raise DeviationsError(f"{where} ({rule_id}): `until` must be a date like 2027-03-31, "
                                  f"got {until!r}") from None
    ticket = entry.get("ticket")
    if ticket is not None and not isinstance(ticket, str):
        raise DeviationsError(f"{where} ({rule_id}): `ticket` must be a link or an id")
    return Waiver(rule, reason.strip(), until, ticket)


BASELINE_DAYS = 90  # how long an entry written by --deviations-update waives its rule, unless the team edits it


def write_baseline(path: Path, failed: dict[str, str], base_url: str, today: datetime.date | None = None) -> int:
    """``--deviations-update``: the rules that failed today, as known deviations (rule id -> what failed); how many.

    Each entry says where it came from (``baseline of <date> against <base URL>``) and expires in
    :data:`BASELINE_DAYS` days, so that adopting the suite on a gateway that deviates today is one run, and every
    entry comes back to the team. A rule that always fails (a leaked token) is never written: nothing waives it.
    """
    day = today or datetime.date.today()
    entries = [{"rule": rule_id, "reason": f"baseline of {day.isoformat()} against {base_url}: {detail[:200]}",
                "until": (day + datetime.timedelta(days=BASELINE_DAYS)).isoformat()}
               for rule_id, detail in failed.items() if rule_id not in rules.SECURITY]
    text = ("# Known deviations written by --deviations-update: today's failing rules. Edit the reasons, the dates\n"
            "# (until) and add tickets; a listed rule that holds again fails the run (stale entry).\n"
            + yaml.safe_dump({"deviations": entries}, sort_keys=False, allow_unicode=True, width=1000))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(entries)
