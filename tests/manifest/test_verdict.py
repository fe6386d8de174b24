"""The quick verdict on embedded schemas agrees with jsonschema, and lets a valid set skip importing it."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import WritePlugin
from tests.manifest.test_properties import toml_values

from manifold.manifest._verdict import quick_valid
from manifold.manifest.embedded import _embedded_validator_class, instance_problems

PATTERNS = ["^a", "b$", "^[a-z]+$", "[0-9]", "^$", "x|y", "^.{2,3}$"]
NAMES = ["a", "b", "c", "name", "size"]
ints = st.integers(min_value=0, max_value=5)
numbers = st.integers(min_value=-3, max_value=3) | st.floats(min_value=-3, max_value=3)
types = st.sampled_from(["null", "boolean", "integer", "number", "string", "array", "object"])


def keyword_tables(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Schemas made of the keywords the quick verdict evaluates, nested."""
    keywords: dict[str, st.SearchStrategy[Any]] = {
        "type": types | st.lists(types, min_size=1, max_size=3, unique=True),
        "enum": st.lists(toml_values, min_size=1, max_size=3),
        "const": toml_values,
        "minimum": numbers,
        "maximum": numbers,
        "exclusiveMinimum": numbers,
        "exclusiveMaximum": numbers,
        "minLength": ints,
        "maxLength": ints,
        "minItems": ints,
        "maxItems": ints,
        "minProperties": ints,
        "maxProperties": ints,
        "pattern": st.sampled_from(PATTERNS),
        "properties": st.dictionaries(st.sampled_from(NAMES), children, max_size=3),
        "patternProperties": st.dictionaries(st.sampled_from(PATTERNS), children, max_size=2),
        "additionalProperties": st.booleans() | children,
        "required": st.lists(st.sampled_from(NAMES), max_size=3, unique=True),
        "items": children,
        "uniqueItems": st.booleans(),
        "allOf": st.lists(children, min_size=1, max_size=2),
        "anyOf": st.lists(children, min_size=1, max_size=2),
        "oneOf": st.lists(children, min_size=1, max_size=2),
        "not": children,
        "description": st.text(max_size=5),
        "format": st.sampled_from(["email", "date"]),
    }
    return st.fixed_dictionaries({}, optional=keywords)


schemas = st.recursive(st.booleans() | keyword_tables(st.just({})), keyword_tables, max_leaves=8)
instances = toml_values | st.sampled_from([math.nan, math.inf, 1.0, True, 1, [1, 1.0], {"a": "ab"}, "abc"])


@given(schemas, instances)
def test_the_quick_verdict_is_jsonschemas(schema: Any, instance: Any) -> None:
    verdict = quick_valid(schema, instance)
    assert verdict is not None  # every keyword drawn here is one it evaluates
    assert verdict == _embedded_validator_class()(schema).is_valid(instance)


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"$ref": "#/definitions/x", "definitions": {"x": {}}}, 1),
        ({"if": {"type": "string"}, "then": {"minLength": 2}}, "abc"),
        ({"type": "array", "items": [{"type": "string"}]}, ["a"]),  # the tuple form
        ({"properties": {"a": {"multipleOf": 2}}}, {"a": 3}),
        ({"pattern": "("}, "x"),  # not a regular expression: jsonschema decides (and says so)
        ({"pattern": "^(a+)+$"}, "aaaa!"),  # may take exponential time: not run
        ({"pattern": "^a$"}, "a" * 10_001),  # too long to be matched
    ],
)
def test_other_keywords_give_no_verdict(schema: dict[str, Any], instance: Any) -> None:
    assert quick_valid(schema, instance) is None


def test_a_rejected_value_still_gets_jsonschemas_words() -> None:
    schema = {"type": "object", "properties": {"indent": {"type": "integer", "maximum": 8}}}
    problems = instance_problems(schema, {"indent": 12}, ("extensions", 0, "config"), "config")
    assert [(p.code, p.path, p.message) for p in problems] == [
        (
            "config",
            ("extensions", 0, "config", "indent"),
            "extensions[0].config.indent: 12 is greater than the maximum of 8",
        )
    ]


def test_validating_a_valid_set_with_configs_imports_neither_jsonschema_nor_networkx(write_plugin: WritePlugin) -> None:
    write_plugin(
        "host",
        """
        [plugin]
        id = "acme.host"
        version = "1.0"

        [[extension-points]]
        id = "acme.exporters"
        [extension-points.config-schema]
        type = "object"
        required = ["suffix"]
        additionalProperties = false
        properties.suffix = { type = "string", pattern = "^[.][a-z]+$" }
        properties.indent = { type = "integer", minimum = 0, maximum = 8 }
        """,
    )
    write_plugin(
        "md",
        """
        [plugin]
        id = "acme.md"
        version = "1.0"

        [dependencies]
        "acme.host" = "*"

        [[extensions]]
        point = "acme.exporters"
        config = { suffix = ".md", indent = 2 }
        """,
    )
    code = (
        "import sys; from manifold import validate\n"
        "report = validate(['plugins'])\n"
        "print(len(report.manifests), [d.code for d in report.diagnostics])\n"
        "print(sorted(m for m in ('jsonschema', 'networkx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "2 []\n[]\n"
