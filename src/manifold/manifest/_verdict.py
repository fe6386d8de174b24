"""A quick yes or no for the small JSON Schemas that manifests embed, without importing jsonschema.

A point's ``config-schema`` is checked against every contribution's ``config``. Those schemas are
written by plugin authors, so they cannot be compiled ahead of time like the shipped ones, and
compiling each at run time costs more than it saves. Most use a few keywords (types, properties,
required, bounds, patterns, enums), which this module evaluates directly, the way draft-07 and
jsonschema define them. Given any other keyword it gives no verdict, and jsonschema decides. When
the verdict is "invalid", jsonschema also runs, to say where and why; so the diagnostics are
jsonschema's whichever way, and a valid set never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from manifold.manifest._regex import PatternError, search

__all__ = ["canonical", "quick_valid"]


class _NoVerdict(Exception):
    """The schema uses a keyword this module does not evaluate."""


# Keywords that assert nothing (jsonschema does not assert "format" by default either).
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "format", "$schema", "$id"})


def quick_valid(schema: Any, instance: Any) -> bool | None:
    """Whether ``instance`` is valid against the draft-07 ``schema``; ``None`` when this module cannot tell.

    Patterns are read as ``manifold.manifest._regex`` reads them; one it refuses gives no verdict.
    """
    try:
        return _valid(schema, instance)
    except Exception:  # _NoVerdict, PatternError, RecursionError, or a schema too odd to read here
        return None


def _valid(schema: Any, instance: Any) -> bool:
    if schema is True or schema is False:
        return schema
    if not isinstance(schema, dict):
        raise _NoVerdict
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(key)
        if check is None:
            raise _NoVerdict
        if not check(value, instance, schema):
            return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _type(expected: Any, instance: Any, _: Any) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
        raise _NoVerdict
    return any(_TYPES[name](instance) for name in names)


def _equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it: ``true`` is not ``1``, ``[1]`` is ``[1.0]``."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[key], two[key]) for key in one)
    if isinstance(one, list | dict) or isinstance(two, list | dict):
        return False
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return bool(one == two)


def _enum(values: Any, instance: Any, _: Any) -> bool:
    if not isinstance(values, list):
        raise _NoVerdict
    return any(_equal(value, instance) for value in values)


def _const(value: Any, instance: Any, _: Any) -> bool:
    return _equal(value, instance)


def _bound(compare: Any) -> Any:
    def check(limit: Any, instance: Any, _: Any) -> bool:
        if not _is_number(limit):
            raise _NoVerdict
        return not _is_number(instance) or bool(compare(instance, limit))

    return check


def _size(kind: type[str | list[Any] | dict[str, Any]], at_least: bool) -> Any:
    """minLength/maxLength (strings), minItems/maxItems (arrays), minProperties/maxProperties (objects)."""

    def check(limit: Any, instance: Any, _: Any) -> bool:
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise _NoVerdict
        if isinstance(instance, kind):
            return len(instance) >= limit if at_least else len(instance) <= limit
        return True

    return check


def _pattern(pattern: Any, instance: Any, _: Any) -> bool:
    if not isinstance(pattern, str):
        raise _NoVerdict
    return not isinstance(instance, str) or _search(pattern, instance)


def _search(pattern: Any, text: str) -> bool:
    if not isinstance(pattern, str):
        raise _NoVerdict
    try:
        return search(pattern, text)
    except PatternError:
        raise _NoVerdict from None


def _properties(properties: Any, instance: Any, _: Any) -> bool:
    if not isinstance(properties, dict):
        raise _NoVerdict
    if not isinstance(instance, dict):
        return True
    return all(_valid(sub, instance[name]) for name, sub in properties.items() if name in instance)


def _pattern_properties(patterns: Any, instance: Any, _: Any) -> bool:
    if not isinstance(patterns, dict):
        raise _NoVerdict
    if not isinstance(instance, dict):
        return True
    return all(
        _valid(sub, value)
        for pattern, sub in patterns.items()
        for key, value in instance.items()
        if _search(pattern, key)
    )


def _additional_properties(extra: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    if not isinstance(properties, dict) or not isinstance(patterns, dict):
        raise _NoVerdict
    return all(
        _valid(extra, value)
        for key, value in instance.items()
        if key not in properties and not any(_search(pattern, key) for pattern in patterns)
    )


def _required(names: Any, instance: Any, _: Any) -> bool:
    if not isinstance(names, list):
        raise _NoVerdict
    return not isinstance(instance, dict) or all(name in instance for name in names)


def _items(items: Any, instance: Any, _: Any) -> bool:
    if isinstance(items, list):
        raise _NoVerdict  # the tuple form, with additionalItems
    return not isinstance(instance, list) or all(_valid(items, item) for item in instance)


def _unique_items(unique: Any, instance: Any, _: Any) -> bool:
    if not unique or not isinstance(instance, list):
        return True
    keys = [canonical(item) for item in instance]
    return len(set(keys)) == len(keys)


def canonical(value: Any) -> Any:
    """A hashable form of a value, equal where JSON Schema's equality is (``1`` is ``1.0``, ``true`` is not ``1``)."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, float) and value.is_integer():
        return ("number", int(value))
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(canonical(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, canonical(item)) for key, item in value.items()))
    return ("other", type(value).__name__, repr(value))  # dates and times


def _schemas(subschemas: Any) -> Sequence[Any]:
    if not isinstance(subschemas, list) or not subschemas:
        raise _NoVerdict
    return subschemas


_KEYWORDS: dict[str, Any] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    # Written as jsonschema tests them, what fails: NaN fails no bound.
    "minimum": _bound(lambda value, limit: not value < limit),
    "maximum": _bound(lambda value, limit: not value > limit),
    "exclusiveMinimum": _bound(lambda value, limit: not value <= limit),
    "exclusiveMaximum": _bound(lambda value, limit: not value >= limit),
    "minLength": _size(str, at_least=True),
    "maxLength": _size(str, at_least=False),
    "minItems": _size(list, at_least=True),
    "maxItems": _size(list, at_least=False),
    "minProperties": _size(dict, at_least=True),
    "maxProperties": _size(dict, at_least=False),
    "pattern": _pattern,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "required": _required,
    "items": _items,
    "uniqueItems": _unique_items,
    "allOf": lambda subs, instance, _: all(_valid(sub, instance) for sub in _schemas(subs)),
    "anyOf": lambda subs, instance, _: any(_valid(sub, instance) for sub in _schemas(subs)),
    "oneOf": lambda subs, instance, _: sum(_valid(sub, instance) for sub in _schemas(subs)) == 1,
    "not": lambda sub, instance, _: not _valid(sub, instance),
}
