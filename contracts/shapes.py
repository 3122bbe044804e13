"""The shape of a JSON value: which fields, of which JSON types; what a body's parser depends on.

Shapes, not values, are compared: values (messages, generated names) legitimately differ between
two answers, while a field that appears, disappears or changes type is what breaks a client's
parser. The elements of an array are merged into one shape, so that a list's length or order does
not matter. A low module: drift compares shapes, the reference gateway describes its answers by them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def type_of(value: Any) -> str:
    """The JSON Schema type name of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


@dataclass
class Shape:
    types: set[str]
    fields: dict[str, Shape] = field(default_factory=dict)  # of the object, when one of types
    items: Shape | None = None  # of all the array's elements merged; None for an empty array


def shape_of(value: Any) -> Shape:
    shape = Shape({type_of(value)})
    if isinstance(value, dict):
        shape.fields = {str(key): shape_of(item) for key, item in value.items()}
    elif isinstance(value, list):
        for element in value:
            shape.items = shape_of(element) if shape.items is None else merge(shape.items, shape_of(element))
    return shape


def merge(first: Shape, second: Shape) -> Shape:
    fields = dict(first.fields)
    for key, shape in second.fields.items():
        fields[key] = merge(fields[key], shape) if key in fields else shape
    return Shape(first.types | second.types, fields, _merge_items(first.items, second.items))


def _merge_items(first: Shape | None, second: Shape | None) -> Shape | None:
    if first is None or second is None:
        return first or second
    return merge(first, second)


def join(where: str, key: str) -> str:
    """The dotted path of a field (``deploymentResult.environmentResults[].success``)."""
    return f"{where}.{key}" if where else key
