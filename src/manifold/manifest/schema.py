"""The shipped JSON Schemas, read through importlib resources, and their errors turned into problems.

``jsonschema`` is imported only when a schema is first used, so that ``import manifold`` stays light.
The schemas a manifest embeds are checked by ``manifold.manifest.embedded``, in these words.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from manifold.manifest._verdict import canonical
from manifold.manifest._words import did_you_mean, quoted_list, show, toml_type, type_words
from manifold.manifest.diagnostics import Problem
from manifold.manifest.locate import KeyPath, format_path
from manifold.manifest.shipped import SCHEMA_NAMES, SchemaName, schema_text, shipped_text

if TYPE_CHECKING:
    from jsonschema import Draft7Validator, ValidationError

__all__ = ["SCHEMA_NAMES", "SchemaName", "load_schema", "schema_problems", "schema_text"]


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
        return list(dict.fromkeys(p for error in _validator(name).iter_errors(data) for p in error_problems(error, ())))
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
    return compiled_validator(name)


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
    code = _FORMAT_LOCALS.sub(_as_fstring, code)
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


# fastjsonschema names an item's path with "...[{data_x}]".format(**locals()), on every call that
# descends into a referenced definition, not only when it raises: an f-string says the same, faster.
_FORMAT_LOCALS = re.compile(r'"((?:[^"\\]|\\.)*)"\.format\(\*\*locals\(\)\)')


def _as_fstring(match: re.Match[str]) -> str:
    text = match[1]
    fields = re.findall(r"\{([^{}]*)\}", text)
    assert fields, f"no field to fill: {text}"
    assert all(f.isidentifier() for f in fields), f"not only names of locals: {text}"
    assert text.count("{") == text.count("}") == len(fields), f"braces beyond the fields: {text}"
    return f'f"{text}"'


@functools.cache
def compiled_validator(name: CompiledName) -> Callable[[Any], Any]:
    module = importlib.import_module(f"manifold.manifest._compiled.{name}")
    validate: Callable[[Any], Any] = module.validate
    return validate


def extra_keys(instance: Mapping[str, Any], schema: Any) -> list[str]:
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


def repeated(items: list[Any]) -> list[Any]:
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


def error_problems(error: ValidationError, where: KeyPath) -> Iterator[Problem]:
    path: KeyPath = where + error_path(error)
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
        for n, key in enumerate(extra_keys(value, schema)):
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
        dupes = sorted({show(v) for v in repeated(value)})
        yield Problem("schema", path, f"{name}: {', '.join(dupes)} appears more than once")
        return
    yield Problem("schema", path, f"{name}: {error.message}")


def error_path(error: ValidationError) -> KeyPath:
    return tuple(part for part in error.absolute_path if isinstance(part, str | int))


def _pattern_words(value: Any, schema: Mapping[str, Any]) -> str:
    pattern = schema.get("pattern", "")
    words = _PATTERN_WORDS.get(pattern, f"must match the pattern {pattern}")
    return f"{show(value)} is not {words}" if pattern in _PATTERN_WORDS else f"{show(value)} {words}"
