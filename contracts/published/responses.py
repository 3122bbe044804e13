"""Responses: the statuses each side declares, their media types, and the body schema of each, compared.

THEIR gateway may promise fewer statuses than ours (silent: not evidence either way) but not lose the success one.
"""

from __future__ import annotations

from typing import Any

from contracts.published import schemas
from contracts.published.context import Context
from contracts.published.operations import Located
from contracts.published.reading import JSON_MEDIA, is_error, media_range, media_type
from contracts.spec import resolve


def responses(context: Context, ours: Located, theirs: Located) -> None:
    """Each status ours declares, then the statuses only theirs declares."""
    our_responses = {str(status): response for status, response in (ours.operation.get("responses") or {}).items()}
    their_responses = {str(status).upper(): response
                       for status, response in (theirs.operation.get("responses") or {}).items()}
    spelled = {str(status).upper(): str(status) for status in theirs.operation.get("responses") or {}}
    context.enums = {status: _top_level_enums(context, response) for status, response in our_responses.items()}
    for status, response in our_responses.items():
        where = f"responses.{status}"
        their_response = their_responses.get(status.upper())
        if their_response is None and f"{status[:1]}XX" in their_responses:
            their_response = their_responses[f"{status[:1]}XX"]
            context.add("response-status-range", where, f"{status} → {status[:1]}XX",
                        "still declared, as part of a range of statuses, whose schema is compared instead")
        if their_response is None and status.startswith("2"):
            context.add("response-success-status-removed", where, "declared → not declared",
                        "the success clients are written for is not declared: the operation does not answer as ours")
            continue
        if their_response is None:
            context.add("response-status-undeclared", where, "declared → not declared",
                        "the gateway does not say it answers this status, nor that it answers the case otherwise: "
                        "a description may promise fewer statuses (a generator lists few), so it is not evidence "
                        "either way; the run's answers are")
            continue
        context.status = status
        _response(context, where, status, response, their_response)
    for status in sorted(their_responses.keys() - {status.upper() for status in our_responses}):
        if not (status.endswith("XX") and any(our.startswith(status[:1]) for our in our_responses)):
            context.add("response-status-added", f"responses.{spelled[status]}", "absent → declared",
                        "a new answer, to a case ours does not describe; clients of ours never asked for it")


def _response(context: Context, where: str, status: str, response: Any, their_response: Any) -> None:
    found = context.deref(context.ours, response, where)
    their_found = context.deref(context.theirs, their_response, where)
    if found is None or their_found is None:
        return
    content = {media_type(media): value for media, value in (found.get("content") or {}).items()}
    their_content = {media_type(media): value for media, value in (their_found.get("content") or {}).items()}
    used: set[str] = set()
    for media, value in content.items():
        place = f"{where}.schema" if len(content) == 1 else f"{where}.content.{media}.schema"
        match = media if media in their_content else media_range(media, their_content)
        if match is None:
            offered = ", ".join(sorted(their_content)) or "no body"
            context.add("response-media-type-removed", f"{where}.content", f"{media} → {offered}",
                        f"clients parse the body as {media}, which the gateway no longer declares")
            used |= their_content.keys()  # said by this change already, not additions
            continue
        used.add(match)
        if match != media:
            context.add("response-media-type-range", f"{where}.content", f"{media} → {match}",
                        f"a range that includes {media}: no longer promised, not contradicted; its schema is compared")
        media_object = context.deref(context.ours, value, f"{where}.content") or {}
        their_media_object = context.deref(context.theirs, their_content[match], f"{where}.content") or {}
        _schema_of(context, place, media_object, their_media_object, _examples(context, media_object),
                   is_error(status))
    for media in sorted(their_content.keys() - used - content.keys()):
        context.add("response-media-type-added", f"{where}.content", f"+ {media}",
                    "another representation; a client of ours gets the one it reads")


def _top_level_enums(context: Context, response: Any) -> dict[str, list[Any]]:
    """Property -> the values ours lists for it, at the top level of a response's JSON body."""
    found = resolve(context.ours, response) or {}
    enums: dict[str, list[Any]] = {}
    for media, media_object in (found.get("content") or {}).items():
        schema = context.flat_quietly(context.ours, (resolve(context.ours, media_object) or {}).get("schema"))
        for name, raw in ((schema or {}).get("properties") or {}).items():
            enum = (context.flat_quietly(context.ours, raw) or {}).get("enum")
            if isinstance(enum, list) and media_type(media) in (JSON_MEDIA, "*/*"):
                enums.setdefault(str(name), []).extend(enum)
    return enums


def _examples(context: Context, media_object: dict[str, Any]) -> list[Any]:
    """The bodies ours shows for this response of this operation: what it answers, and clients rely on.

    The response's own examples, not the schema's: a schema shared by many operations shows a
    generic example (Error400 shows ``validation_failed``), not what this operation answers.
    """
    found = [media_object["example"]] if "example" in media_object else []
    for example in (media_object.get("examples") or {}).values():
        value = resolve(context.ours, example)
        if value is not None and "value" in value:
            found.append(value["value"])
    return found


def _schema_of(context: Context, where: str, media_object: dict[str, Any], their_media_object: dict[str, Any],
               examples: list[Any], error: bool) -> None:
    if "schema" in media_object and "schema" not in their_media_object:
        context.add("response-schema-removed", where, "described → no schema",
                    "the gateway no longer says what the body holds, so clients cannot rely on any field")
        return
    schemas.schema(context, where, media_object.get("schema"), their_media_object.get("schema"), examples, error)
