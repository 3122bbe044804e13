"""Security: what a client of ours sends to authenticate must still be what THEIR description requires."""

from __future__ import annotations

from typing import Any

from contracts.published.context import Context
from contracts.published.operations import Located


def requirements(context: Context, document: dict[str, Any], operation: dict[str, Any]) -> list[frozenset[str]]:
    """Each security requirement of the operation (its own, else the document's) as scheme kinds."""
    declared = operation["security"] if "security" in operation else document.get("security")
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    found = []
    for requirement in declared if isinstance(declared, list) else []:
        kinds = set()
        for name in requirement if isinstance(requirement, dict) else []:
            scheme = context.deref(document, schemes.get(name), "security") if name in schemes else None
            kinds.add(_scheme_kind(scheme) if scheme is not None else f"undefined scheme {name}")
        found.append(frozenset(kinds))
    return found


def security(context: Context, ours: Located, theirs: Located) -> None:
    """A client of ours satisfies one of our requirements; theirs must accept what it sends."""
    our_requirements = requirements(context, context.ours, ours.operation)
    their_requirements = requirements(context, context.theirs, theirs.operation)
    anonymous, their_anonymous = (not found or frozenset() in found for found in (our_requirements, their_requirements))
    change = f"{_described(our_requirements)} → {_described(their_requirements)}"
    if not anonymous and "security" not in theirs.operation and "security" not in context.theirs:
        context.add("security-undeclared", "security", f"{_described(our_requirements)} → not declared",
                    "the description declares no security requirement at all (a generator such as springdoc "
                    "writes none unless configured to): it does not say the operation is open, so the suite's "
                    "401 rules, which rest on authentication.md, are not contradicted")
    elif their_anonymous and not anonymous:
        context.add("security-declared-anonymous", "security", change,
                    "ours lets only a valid token through (authentication.md: every endpoint requires one) and "
                    "the suite's 401 rules rest on it; theirs lets anyone delete")
    elif not anonymous and any(not any(their <= our for their in their_requirements) for our in our_requirements):
        context.add("security-scheme-changed", "security", change,
                    "what a client of ours sends is no longer enough to authenticate")
    elif set(their_requirements) - set(our_requirements) and not their_anonymous:
        context.add("security-alternative-added", "security", change,
                    "another way to authenticate; the one ours documents still works")


def _scheme_kind(scheme: dict[str, Any]) -> str:
    """What a client sends for a security scheme: ``http bearer``, ``apiKey header X-Key``, ``oauth2`` ..."""
    kind = str(scheme.get("type"))
    if kind == "http":
        return f"http {str(scheme.get('scheme', '')).lower()}"
    if kind == "apiKey":
        return f"apiKey {scheme.get('in')} {scheme.get('name')}"
    return kind


def _described(requirements: list[frozenset[str]]) -> str:
    """Requirements in words: ``http bearer or apiKey header X-Key``, ``none``."""
    if not requirements:
        return "none"
    return " or ".join(" and ".join(sorted(kinds)) or "anonymous" for kinds in requirements)
