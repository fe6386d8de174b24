"""The shipped JSON Schemas, read through importlib resources, and their errors turned into problems.

``jsonschema`` is imported here only, and only when a schema is first used, so that
``import manifold`` stays light.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from manifold.codes import DiagnosticCode
from manifold.manifest._verdict import canonical, quick_valid
from manifold.manifest._words import did_you_mean, quoted_list, show, toml_type, type_words
from manifold.manifest.diagnostics import Problem
from manifold.manifest.locate import KeyPath, format_path
from manifold.manifest.shipped import SCHEMA_NAMES, SchemaName, schema_text, shipped_text

if TYPE_CHECKING:
    from jsonschema import Draft7Validator, ValidationError

__all__ = ["SCHEMA_NAMES", "SchemaName", "check_schema", "load_schema", "schema_problems", "schema_text"]


# The patterns the plugin schema uses, with the words a person needs when a value misses one.
ID_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$"
REFERENCE_PATTERN = (
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
)
IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_PATTERN_WORDS = {
    ID_PATTERN: (
        'an id: lowercase dotted names such as "acme.kettle" (letters, digits, "_" and "-", '
        "each part starting with a letter)"
    ),
    REFERENCE_PATTERN: 'a reference of the form "package.module:Qualname"',
    IDENTIFIER_PATTERN: "a Python identifier (letters, digits and _, not starting with a digit)",
}


@functools.cache
def load_schema(name: SchemaName) -> Mapping[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text(name))
    return schema


@functools.cache
def _validator(name: SchemaName) -> Draft7Validator:
    from jsonschema import Draft7Validator, ValidationError, validators

    def whole_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
        # Python's "$" also matches before a final newline; editors' engines do not, nor do we.
        anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
        if isinstance(instance, str) and not re.search(anchored, instance):
            yield ValidationError(f"{instance!r} does not match {pattern!r}")

    strict = validators.extend(Draft7Validator, {"pattern": whole_pattern})  # type: ignore[no-untyped-call]
    return strict(load_schema(name))  # type: ignore[no-any-return]


def schema_problems(name: SchemaName, data: Any) -> list[Problem]:
    """Every way ``data`` breaks the shipped schema ``name``, as problems with key paths.

    A compiled validator answers first (about 30 times faster); only data it rejects is
    walked by ``jsonschema`` for the diagnostics, so they are the same whichever ran.
    """
    try:
        _fast_validator(name)(data)
    except Exception:  # the compiled validator's verdict (or a failure of its own): look closely
        # dict.fromkeys: jsonschema reports a missing required key once per key, each error naming them all.
        return list(dict.fromkeys(p for error in _validator(name).iter_errors(data) for p in _problems(error, ())))
    return []


_MAX_SUGGESTIONS = 1000
"""Unknown keys of one table that get a "did you mean"; the rest list the known keys."""

# Annotations, and "format", which jsonschema (like most engines) does not assert by default.
_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment", "format"})


def _for_speed(schema: Any) -> Any:
    """The schema without annotations, its end-anchored patterns anchored at the very end (``\\Z``)."""
    if isinstance(schema, list):
        return [_for_speed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    lean: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key == "pattern" and isinstance(value, str) and value.endswith("$"):
            value = value[:-1] + r"\Z"
        if key in ("properties", "definitions", "patternProperties") and isinstance(value, dict):
            lean[key] = {name: _for_speed(sub) for name, sub in value.items()}  # names, not keywords
        else:
            lean[key] = _for_speed(value)
    return lean


def _fast_validator(name: SchemaName) -> Callable[[Any], Any]:
    return _compiled(name)


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
    return [_invalid(where + _key_path(error), error.message) for error in _meta_validator().iter_errors(schema)]


def _invalid(path: KeyPath, words: str) -> Problem:
    return Problem("invalid-schema", path, f"{format_path(path)}: not a valid JSON Schema: {words}")


def _fast_meta_validator() -> Callable[[Any], Any]:
    # The draft-07 meta-schema ships with manifold (a test keeps it equal to jsonschema's), so
    # checking a valid embedded schema does not import jsonschema.
    return _compiled("draft07")


# The schemas whose validators are generated ahead of time into manifold/manifest/_compiled/ (by
# schemas/compile_validators.py): generating one at run time costs about 50 ms.
CompiledName = Literal["plugin", "bundle", "config", "draft07"]
COMPILED: tuple[CompiledName, ...] = ("plugin", "bundle", "config", "draft07")


def _lean_schema(name: CompiledName) -> Any:
    if name == "draft07":
        return _for_speed(json.loads(shipped_text("draft-07.json")))
    return _for_speed(load_schema(name))


def schema_digest(name: CompiledName) -> str:
    """The SHA-256 of the schema ``name`` as its compiled validator reads it (a generated module records it)."""
    import hashlib

    canonical = json.dumps(_lean_schema(name), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def compiled_source(name: CompiledName) -> str:
    """The text of the module ``manifold.manifest._compiled.<name>``: fastjsonschema's validator of the schema."""
    import fastjsonschema

    code = fastjsonschema.compile_to_code(_lean_schema(name), use_default=False)
    header = (
        f'"""The compiled validator of the {name} schema. Generated by schemas/compile_validators.py; do not edit."""\n'
        f'SCHEMA_SHA256 = "{schema_digest(name)}"\n'
    )
    entry = re.search(r"^def (\w+)\(", code, re.MULTILINE)
    assert entry is not None, "fastjsonschema wrote no function"
    # Its exceptions come from the package itself: running a validator needs nothing of fastjsonschema.
    own = "from manifold.manifest._compiled import JsonSchemaValueException, JsonSchemaValuesException"
    code = code.replace("from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException", own, 1)
    assert own in code, "fastjsonschema imports its exceptions in another way"
    return f"{header}{code}\n\nvalidate = {entry[1]}\n"


@functools.cache
def _compiled(name: CompiledName) -> Callable[[Any], Any]:
    module = importlib.import_module(f"manifold.manifest._compiled.{name}")
    validate: Callable[[Any], Any] = module.validate
    return validate


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
            for p in _problems(error, where)
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
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT7

    places: dict[int, KeyPath] = {}
    stack: list[tuple[Any, KeyPath]] = [(schema, ())]
    while stack:  # where each table of the schema is, so that a ref's target can be named
        item, path = stack.pop()
        if isinstance(item, dict):
            places.setdefault(id(item), path)
            stack.extend((sub, (*path, key)) for key, sub in item.items())
        elif isinstance(item, list):
            stack.extend((sub, (*path, i)) for i, sub in enumerate(item))

    problems: list[Problem] = []
    root = REGISTRY.combine(_offline_registry()).resolver_with_root(DRAFT7.create_resource(schema))
    done: set[int] = set()
    pending: list[tuple[Any, Any]] = [(schema, root)]

    def visit(node: Any, resolver: Any, path: KeyPath, on_path: tuple[int, ...]) -> None:
        # A depth-first walk along the subschemas that apply to the same value; a ref back to a
        # schema on the current path would make validation loop forever.
        if not isinstance(node, dict) or id(node) in done:
            return
        done.add(id(node))
        on_path = (*on_path, id(node))
        resolver = resolver.in_subresource(DRAFT7.create_resource(node))
        problems.extend(_pattern_problems(node, where + path))
        ref = node.get("$ref")
        if isinstance(ref, str):
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
        extras = _extra_keys(instance, schema)
        if isinstance(extra, dict):
            for key in extras:
                yield from validator.descend(instance[key], extra, path=key)
        elif extra is False and extras:
            listed = ", ".join(repr(key) for key in extras)
            yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")

    def unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if unique and isinstance(instance, list) and _repeated(instance):
            yield ValidationError(f"{show(instance)} has non-unique elements")

    keywords = {
        "pattern": pattern,
        "patternProperties": pattern_properties,
        "additionalProperties": additional_properties,
        "uniqueItems": unique_items,
    }
    return validators.extend(Draft7Validator, keywords)  # type: ignore[no-any-return,no-untyped-call]


def _extra_keys(instance: Mapping[str, Any], schema: Any) -> list[str]:
    """The keys of ``instance`` that neither ``properties`` nor ``patternProperties`` of ``schema`` cover."""
    from manifold.manifest._regex import PatternError, search

    properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, Mapping) else {}

    def covered(key: str) -> bool:
        for pattern in patterns:
            try:
                if search(pattern, key):
                    return True
            except PatternError:
                continue
        return False

    return [key for key in instance if key not in properties and not covered(key)]


def _repeated(items: list[Any]) -> list[Any]:
    """The values that appear more than once in ``items`` (in JSON Schema's sense of equal), in order; linear."""
    first: dict[Any, Any] = {}
    repeated: dict[Any, Any] = {}
    for item in items:
        key = canonical(item)
        if key in first:
            repeated.setdefault(key, first[key])
        else:
            first[key] = item
    return list(repeated.values())


def _problems(error: ValidationError, where: KeyPath) -> Iterator[Problem]:
    path: KeyPath = where + _key_path(error)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value: Any = error.instance
    expected: Any = error.validator_value
    kind = error.validator
    if "propertyNames" in error.relative_schema_path:
        # The instance is the offending key itself.
        key_path = (*path, value)
        yield Problem("schema", key_path, f"{format_path(key_path)}: {_pattern_words(value, schema)}")
        return
    name = format_path(path) or "the manifest"
    if kind == "additionalProperties" and isinstance(value, dict):
        known = [key for key in schema.get("properties", {}) if isinstance(key, str)]
        listed = f"; known keys: {', '.join(known)}" if known else ""
        for n, key in enumerate(_extra_keys(value, schema)):
            key_path = (*path, key)
            # Suggestions cost ~0.2 ms each: a table of 100,000 unknown keys gets them for the first ones only.
            hint = (did_you_mean(key, known) if n < _MAX_SUGGESTIONS else "") or listed
            yield Problem("unknown-key", key_path, f"{format_path(key_path)}: unknown key{hint}")
        return
    if kind == "required":
        missing = [k for k in expected if isinstance(value, dict) and k not in value]
        for key in missing:
            key_path = (*path, key)
            yield Problem("missing-key", key_path, f"{format_path(key_path)}: required key is missing")
        return
    if kind == "type":
        message = f"{name}: expected {type_words(expected)}, got {toml_type(value)}"
        if not isinstance(value, dict | list):
            message += f" ({show(value)})"
        yield Problem("schema", path, message)
        return
    if kind == "oneOf" and all(isinstance(option, Mapping) and "const" in option for option in expected):
        consts = [option["const"] for option in expected]
        hint = did_you_mean(value, [str(c) for c in consts]) if isinstance(value, str) else ""
        message = f"{name}: {show(value)} is not one of {quoted_list(consts)}{hint}"
        yield Problem("schema", path, message)
        return
    if kind == "pattern":
        yield Problem("schema", path, f"{name}: {_pattern_words(value, schema)}")
        return
    if kind == "maxLength":
        yield Problem(
            "schema",
            path,
            f"{name}: is {len(value)} characters long; at most {expected} allowed",
        )
        return
    if kind == "uniqueItems":
        dupes = sorted({show(v) for v in _repeated(value)})
        yield Problem("schema", path, f"{name}: {', '.join(dupes)} appears more than once")
        return
    yield Problem("schema", path, f"{name}: {error.message}")


def _key_path(error: ValidationError) -> KeyPath:
    return tuple(part for part in error.absolute_path if isinstance(part, str | int))


def _pattern_words(value: Any, schema: Mapping[str, Any]) -> str:
    pattern = schema.get("pattern", "")
    words = _PATTERN_WORDS.get(pattern, f"must match the pattern {pattern}")
    return f"{show(value)} is not {words}" if pattern in _PATTERN_WORDS else f"{show(value)} {words}"
