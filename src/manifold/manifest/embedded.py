"""The JSON Schemas a manifest embeds: checked as schemas, their refs resolved offline, values checked against them.

They are ``settings-schema`` and ``config-schema`` (and a point's ``config_schema``); their problems
are worded as the shipped schemas' are (``manifold.manifest.schema``).

``jsonschema`` and ``referencing`` are imported here only, and only when a schema or value is not
found valid by the quick paths, so that a valid manifest does not import them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from manifold.codes import DiagnosticCode
from manifold.manifest._verdict import quick_valid
from manifold.manifest._words import show
from manifold.manifest.diagnostics import Problem
from manifold.manifest.locate import KeyPath, format_path
from manifold.manifest.schema import compiled_validator, error_path, error_problems, extra_keys, repeated

if TYPE_CHECKING:
    from jsonschema import Draft7Validator

__all__ = ["MAX_SCHEMA_DEPTH", "check_schema", "instance_problems"]


def check_schema(schema: Any, where: KeyPath) -> list[Problem]:
    """Problems with a JSON Schema a manifest embeds (``settings-schema``, ``config-schema``).

    Beyond draft-07 itself: the schema is at most ``MAX_SCHEMA_DEPTH`` levels deep, its refs resolve
    inside it, none loops back to itself without descending into the value, and every pattern
    compiles and can be matched in bounded time (``manifold.manifest._regex``). Never raises.
    """
    try:
        too_deep = _depth_problems(schema, where)
        if too_deep:
            return too_deep
        return _meta_problems(schema, where) + _reference_and_pattern_problems(schema, where)
    except Exception as e:  # a failure of the engines: the schema's problem, not the caller's
        return [_invalid(where, f"could not be checked ({type(e).__name__}: {e})")]


def _meta_problems(schema: Any, where: KeyPath) -> list[Problem]:
    try:
        _fast_meta_validator()(schema)
    except Exception:  # rejected: let jsonschema say where and why
        pass
    else:
        return []
    return [_invalid(where + error_path(error), error.message) for error in _meta_validator().iter_errors(schema)]


def _invalid(path: KeyPath, words: str) -> Problem:
    return Problem("invalid-schema", path, f"{format_path(path)}: not a valid JSON Schema: {words}")


def _fast_meta_validator() -> Callable[[Any], Any]:
    # The draft-07 meta-schema ships with manifold (a test keeps it equal to jsonschema's), so
    # checking a valid embedded schema does not import jsonschema.
    return compiled_validator("draft07")


@functools.cache
def _meta_validator() -> Draft7Validator:
    from jsonschema import Draft7Validator

    return Draft7Validator(Draft7Validator.META_SCHEMA)


def instance_problems(schema: Mapping[str, Any], instance: Any, where: KeyPath, code: DiagnosticCode) -> list[Problem]:
    """Problems of a value against a schema a manifest embeds, reported under ``code``. Never raises.

    A quick verdict answers first (``verdict.quick_valid``); jsonschema walks only what it does
    not find valid, so a valid set does not import jsonschema and the diagnostics are its own. A
    schema ``check_schema`` refuses, a value nested too deep, or a failure of the engine is one
    problem at ``where``: the value is not checked.
    """
    try:
        if quick_valid(schema, instance):
            return []
        name = format_path(where) or "the value"
        if _depth(instance, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH:
            return [Problem(code, where, f"{name}: nested more than {MAX_SCHEMA_DEPTH} levels deep; not checked")]
        trouble = check_schema(schema, ())
        if trouble:
            words = trouble[0].message.removeprefix(": ")
            return [Problem(code, where, f"{name}: not checked, the schema is not usable: {words}")]
        validator = _embedded_validator_class()(schema, registry=_offline_registry())
        return [
            Problem(code, p.path, p.message)
            for error in validator.iter_errors(instance)
            for p in error_problems(error, where)
        ]
    except Exception as e:  # RecursionError, or a failure of jsonschema's own
        name = format_path(where) or "the value"
        return [Problem(code, where, f"{name}: could not be checked against the schema ({type(e).__name__}: {e})")]


# How deep (in tables and arrays) an embedded schema, and a value checked against one, may nest.
MAX_SCHEMA_DEPTH = 100


def _depth(value: Any, limit: int) -> int:
    """How deep tables and arrays nest in ``value``, counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _depth_problems(schema: Any, where: KeyPath) -> list[Problem]:
    if _depth(schema, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH:
        return [_invalid(where, f"nested more than {MAX_SCHEMA_DEPTH} levels deep")]
    return []


# Keywords whose value is a schema (or a table or array of schemas), and whether it applies to the
# same value (in place) or to a part of it.
_IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
_ONE = ("additionalItems", "additionalProperties", "contains", "propertyNames", "items", "not", "if", "then", "else")
_TABLES = ("properties", "patternProperties", "definitions", "dependencies")


def _subschemas(schema: Mapping[str, Any]) -> Iterator[tuple[KeyPath, Any, bool]]:
    """``(path within schema, subschema, in place)`` for every subschema of ``schema``."""
    for key, value in schema.items():
        if key in _ONE and isinstance(value, dict | bool):
            yield (key,), value, key in _IN_PLACE
        elif key in ("items", "allOf", "anyOf", "oneOf") and isinstance(value, list):
            for i, sub in enumerate(value):
                if isinstance(sub, dict | bool):
                    yield (key, i), sub, key in _IN_PLACE
        elif key in _TABLES and isinstance(value, dict):
            for name, sub in value.items():
                if isinstance(sub, dict | bool):
                    # "definitions" apply only through a ref, so they are walked as places of their own.
                    yield (key, name), sub, key == "dependencies"


def _refuse(uri: str) -> Any:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


@functools.cache
def _offline_registry() -> Any:
    """A registry that resolves nothing it was not given: no file is read, nothing is fetched."""
    from referencing import Registry

    return Registry(retrieve=_refuse)  # type: ignore[call-arg]


def _reference_and_pattern_problems(schema: Any, where: KeyPath) -> list[Problem]:
    """Refs that leave the schema, point nowhere or loop without descending; patterns that cannot be used."""
    if not isinstance(schema, dict):
        return []
    places: dict[int, KeyPath] = {}
    resolving = False  # whether a table has a "$ref" or an "$id" (else no resolver is needed)
    stack: list[tuple[Any, KeyPath]] = [(schema, ())]
    while stack:  # where each table of the schema is, so that a ref's target can be named
        item, path = stack.pop()
        if isinstance(item, dict):
            places.setdefault(id(item), path)
            resolving = resolving or "$ref" in item or "$id" in item
            stack.extend((sub, (*path, key)) for key, sub in item.items())
        elif isinstance(item, list):
            stack.extend((sub, (*path, i)) for i, sub in enumerate(item))

    problems: list[Problem] = []
    # Without a "$ref" there is nothing to look up, and without an "$id" no base URI to track: the
    # walk below then needs no resolver, and referencing and the meta-schemas are not imported.
    root = _root_resolver(schema) if resolving else None
    done: set[int] = set()
    pending: list[tuple[Any, Any]] = [(schema, root)]

    def visit(node: Any, resolver: Any, path: KeyPath, on_path: tuple[int, ...]) -> None:
        # A depth-first walk along the subschemas that apply to the same value; a ref back to a
        # schema on the current path would make validation loop forever.
        if not isinstance(node, dict) or id(node) in done:
            return
        done.add(id(node))
        on_path = (*on_path, id(node))
        if resolver is not None:
            resolver = resolver.in_subresource(_draft7().create_resource(node))
        problems.extend(_pattern_problems(node, where + path))
        ref = node.get("$ref")
        if isinstance(ref, str) and resolver is not None:
            from referencing.exceptions import Unresolvable

            at = (*where, *path, "$ref")
            try:
                resolved = resolver.lookup(ref)
            except Unresolvable:
                problems.append(_invalid(at, _unresolvable_words(ref)))
            else:
                target = resolved.contents
                if id(target) in on_path:
                    problems.append(
                        _invalid(at, f"the ref {show(ref)} leads back to itself without descending into the value")
                    )
                elif len(on_path) > MAX_SCHEMA_DEPTH:
                    problems.append(_invalid(at, f"refs chain more than {MAX_SCHEMA_DEPTH} schemas"))
                elif id(target) in places:  # (not one of the meta-schemas, which are known to be sound)
                    visit(target, resolved.resolver, places[id(target)], on_path)
        for sub_path, sub, applies_in_place in _subschemas(node):
            if applies_in_place:
                visit(sub, resolver, (*path, *sub_path), on_path)
            else:
                pending.append((sub, resolver))

    while pending:
        node, resolver = pending.pop()
        if isinstance(node, dict):
            visit(node, resolver, places.get(id(node), ()), ())
    return list(dict.fromkeys(problems))


def _draft7() -> Any:
    from referencing.jsonschema import DRAFT7

    return DRAFT7


def _root_resolver(schema: dict[str, Any]) -> Any:
    """A resolver of refs inside ``schema``, which knows the meta-schemas and fetches nothing."""
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]

    return REGISTRY.combine(_offline_registry()).resolver_with_root(_draft7().create_resource(schema))


def _pattern_problems(node: Mapping[str, Any], at: KeyPath) -> Iterator[Problem]:
    from manifold.manifest._regex import PatternError, compile_pattern

    patterns = node.get("patternProperties")
    found: list[tuple[KeyPath, Any]] = [(("pattern",), node.get("pattern"))]
    found += [(("patternProperties", p), p) for p in (patterns if isinstance(patterns, dict) else ())]
    for key, pattern in found:
        if isinstance(pattern, str):
            try:
                compile_pattern(pattern)
            except PatternError as e:
                yield _invalid(at + key, f"the pattern {show(pattern, limit=80)} {e}")


def _unresolvable_words(ref: str) -> str:
    if ref.startswith("#"):
        return f"the ref {show(ref, limit=200)} points nowhere in the schema"
    return (
        f"the ref {show(ref, limit=200)} points outside the schema "
        "(refs resolve only inside the schema itself; nothing is read or fetched)"
    )


@functools.cache
def _embedded_validator_class() -> type[Draft7Validator]:
    """Draft-07 as embedded schemas mean it: manifold's regex dialect, and ``uniqueItems`` in linear time."""
    from jsonschema import Draft7Validator, ValidationError, validators

    from manifold.manifest._regex import PatternError, search

    def matches(pattern: str, text: str) -> bool | ValidationError:
        try:
            return search(pattern, text)
        except PatternError as e:
            # Named apart from "pattern" so that the words are kept as they are.
            return ValidationError(f"the pattern {show(pattern, limit=80)} {e}", validator="unusable-pattern")

    def pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if isinstance(instance, str):
            found = matches(pattern, instance)
            if isinstance(found, ValidationError):
                yield found
            elif not found:
                yield ValidationError(f"{instance!r} does not match {pattern!r}")

    def pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if not isinstance(instance, dict):
            return
        for each, subschema in patterns.items():
            for key, value in instance.items():
                found = matches(each, key)
                if isinstance(found, ValidationError):
                    yield found
                elif found:
                    yield from validator.descend(value, subschema, path=key, schema_path=each)

    def additional_properties(validator: Any, extra: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if not isinstance(instance, dict):
            return
        extras = extra_keys(instance, schema)
        if isinstance(extra, dict):
            for key in extras:
                yield from validator.descend(instance[key], extra, path=key)
        elif extra is False and extras:
            listed = ", ".join(repr(key) for key in extras)
            yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")

    def unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if unique and isinstance(instance, list) and repeated(instance):
            yield ValidationError(f"{show(instance)} has non-unique elements")

    keywords = {
        "pattern": pattern,
        "patternProperties": pattern_properties,
        "additionalProperties": additional_properties,
        "uniqueItems": unique_items,
    }
    return validators.extend(Draft7Validator, keywords)  # type: ignore[no-any-return,no-untyped-call]
