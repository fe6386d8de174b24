"""An embedded schema without a ``$ref`` (or an ``$id``) is checked without a resolver, with the same
problems as with one; a valid set of such manifests does not import the heavy engines."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import WritePlugin

from manifold.manifest.embedded import check_schema

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

patterns = st.sampled_from(["^ok$", "(", "[", "(a+)+$", "a{99999}", "\\p{L}", "x|y"])
names = st.sampled_from(["a", "b", "$ref", "pattern"])


def schemas(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Schemas with patterns at every kind of place a subschema can be, and no ref or id."""
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["object", "string", 3]),
            "pattern": patterns,
            "patternProperties": st.dictionaries(patterns, children, max_size=2),
            "properties": st.dictionaries(names, children | st.booleans(), max_size=2),
            "definitions": st.dictionaries(names, children, max_size=2),
            "dependencies": st.dictionaries(names, children | st.lists(names, max_size=2), max_size=2),
            "items": children | st.lists(children, max_size=2),
            "allOf": st.lists(children, max_size=2),
            "anyOf": st.lists(children, max_size=2),
            "not": children,
            "if": children,
            "then": children,
            "additionalProperties": children | st.booleans(),
        },
    )


embedded = st.recursive(st.fixed_dictionaries({}, optional={"pattern": patterns}), schemas, max_leaves=8)


@FAST
@given(embedded)
def test_a_schema_without_refs_has_the_problems_it_has_with_a_resolver(schema: dict[str, Any]) -> None:
    # An "$id" at the top makes the check resolve as it does for a schema with refs; it changes no problem.
    resolved = check_schema({**schema, "$id": "urn:manifold:test"}, ("settings-schema",))
    assert check_schema(schema, ("settings-schema",)) == resolved


def test_a_schema_with_refs_is_still_resolved() -> None:
    schema = {
        "definitions": {"name": {"type": "string", "pattern": "("}},
        "properties": {"a": {"$ref": "#/definitions/name"}, "b": {"$ref": "#/definitions/nowhere"}},
        "allOf": [{"$ref": "#"}],
    }
    assert [(p.code, p.path, p.message) for p in check_schema(schema, ("settings-schema",))] == [
        (
            "invalid-schema",
            ("settings-schema", "allOf", 0, "$ref"),
            'settings-schema.allOf[0]."$ref": not a valid JSON Schema: the ref "#" leads back to itself '
            "without descending into the value",
        ),
        (
            "invalid-schema",
            ("settings-schema", "properties", "b", "$ref"),
            'settings-schema.properties.b."$ref": not a valid JSON Schema: the ref "#/definitions/nowhere" '
            "points nowhere in the schema",
        ),
        (
            "invalid-schema",
            ("settings-schema", "definitions", "name", "pattern"),
            'settings-schema.definitions.name.pattern: not a valid JSON Schema: the pattern "(" is not a '
            "regular expression: missing ), unterminated subpattern at position 1",
        ),
    ]


# What a one-process validation of manifests without refs, markers or requires has no use for.
UNNEEDED = (
    "jsonschema",
    "jsonschema_specifications",
    "referencing",
    "networkx",
    "packaging.markers",
    "packaging.requirements",
    "pickle",
)


def test_validating_manifests_without_refs_imports_none_of_the_heavy_modules(write_plugin: WritePlugin) -> None:
    write_plugin(
        "host",
        """
        [plugin]
        id = "acme.host"
        version = "1.0"

        [settings-schema]
        type = "object"
        properties.theme = { type = "string", pattern = "^[a-z]+$" }

        [[extension-points]]
        id = "acme.exporters"
        [extension-points.config-schema]
        type = "object"
        required = ["suffix"]
        additionalProperties = false
        properties.suffix = { type = "string", pattern = "^[.][a-z]+$" }
        """,
    )
    write_plugin(
        "md",
        """
        [plugin]
        id = "acme.md"
        version = "1.0"
        requires-python = ">=3.11"

        [dependencies]
        "acme.host" = "*"

        [[extensions]]
        point = "acme.exporters"
        config = { suffix = ".md" }
        """,
    )
    code = (
        "import sys; from manifold import validate\n"
        "report = validate(['plugins'], check_code=False, jobs=1)\n"
        "print(len(report.manifests), [d.code for d in report.diagnostics])\n"
        f"print(sorted(m for m in {UNNEEDED!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "2 []\n[]\n"
