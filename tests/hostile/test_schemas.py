"""Hostile embedded schemas: offline and local refs, no crash, bounded time, one regex dialect."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from manifold import Manager, SettingsError, validate
from manifold.cli import main
from manifold.manifest.embedded import check_schema, instance_problems
from manifold.manifest.settings import check_values

SECRET = "TOP-SECRET-CONTENT-4711"
WHERE = "extension-points[0].config-schema"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to connect or open a URL is recorded and refused; the test then checks none was made."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args))
        raise OSError("network access from a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    yield attempts
    assert attempts == [], "a schema made manifold connect somewhere"


def host_manifest(schema_lines: str, config: str = 'suffix = "abc"') -> str:
    """A plugin that declares a point with the given config-schema (from line 7 on) and contributes to it."""
    return (
        '[plugin]\nid = "acme.host"\nversion = "1.0"\n\n[[extension-points]]\nid = "acme.x"\n'
        "[extension-points.config-schema]\n"
        + textwrap.dedent(schema_lines).strip()
        + f'\n\n[[extensions]]\npoint = "acme.x"\nconfig = {{ {config} }}\n'
    )


def diagnostics(folder: Path) -> list[tuple[str, int | None, str]]:
    report = validate([folder])
    return [(d.code, d.line, d.message) for d in report.diagnostics]


def write(plugins: Path, text: str, name: str = "host") -> Path:
    (plugins / name).mkdir(exist_ok=True)
    (plugins / name / "plugin.toml").write_text(text, encoding="utf-8")
    return plugins / name


OUTSIDE = "points outside the schema (refs resolve only inside the schema itself; nothing is read or fetched)"
EXPONENTIAL = "may take exponential time to match (nested or ambiguous repetition)"

# (schema lines from line 8 on, the key path below config-schema, the words after "not a valid JSON Schema: ")
REFUSED = [
    (
        'properties.a = { "$ref" = "http://127.0.0.1:9/s.json" }',
        'properties.a."$ref"',
        f'the ref "http://127.0.0.1:9/s.json" {OUTSIDE}',
    ),
    (
        'properties.a = { "$ref" = "https://example.com/s.json#/x" }',
        'properties.a."$ref"',
        f'the ref "https://example.com/s.json#/x" {OUTSIDE}',
    ),
    ('properties.a = { "$ref" = "other.json" }', 'properties.a."$ref"', f'the ref "other.json" {OUTSIDE}'),
    ('properties.a = { "$ref" = "//example.com/x" }', 'properties.a."$ref"', f'the ref "//example.com/x" {OUTSIDE}'),
    (
        '"$id" = "http://example.com/root.json"\nproperties.a = { "$ref" = "other.json#/x" }',
        'properties.a."$ref"',
        f'the ref "other.json#/x" {OUTSIDE}',
    ),
    (
        'properties.a = { "$ref" = "#/definitions/nope" }',
        'properties.a."$ref"',
        'the ref "#/definitions/nope" points nowhere in the schema',
    ),
    (
        'properties.a = { "$ref" = "#/properties/b/items" }',
        'properties.a."$ref"',
        'the ref "#/properties/b/items" points nowhere in the schema',
    ),
    ('"$ref" = "#"', '"$ref"', 'the ref "#" leads back to itself without descending into the value'),
    (
        'definitions.a = { "$ref" = "#/definitions/a" }\nproperties.a = { "$ref" = "#/definitions/a" }',
        'definitions.a."$ref"',
        'the ref "#/definitions/a" leads back to itself without descending into the value',
    ),
    (
        'definitions.a = { "$ref" = "#/definitions/b" }\ndefinitions.b = { "$ref" = "#/definitions/a" }',
        'definitions.a."$ref"',
        'the ref "#/definitions/b" leads back to itself without descending into the value',
    ),
    (
        'definitions.a = { allOf = [{ "$ref" = "#/definitions/a" }] }',
        'definitions.a.allOf[0]."$ref"',
        'the ref "#/definitions/a" leads back to itself without descending into the value',
    ),
    (
        'definitions.a = { not = { anyOf = [true, { "$ref" = "#/definitions/a" }] } }',
        'definitions.a.not.anyOf[1]."$ref"',
        'the ref "#/definitions/a" leads back to itself without descending into the value',
    ),
    (
        'properties.suffix = { type = "string", pattern = "(" }',
        "properties.suffix.pattern",
        'the pattern "(" is not a regular expression: missing ), unterminated subpattern at position 1',
    ),
    (
        'patternProperties."[a-" = true',
        'patternProperties."[a-"',
        'the pattern "[a-" is not a regular expression: unterminated character set at position 3',
    ),
    (
        'properties.suffix = { pattern = "a**" }',
        "properties.suffix.pattern",
        'the pattern "a**" is not a regular expression: multiple repeat at position 2',
    ),
    (
        'properties.suffix = { pattern = "^\\\\p{L}+$" }',
        "properties.suffix.pattern",
        'the pattern "^\\\\p{L}+$" uses \\p{...} (Unicode property classes), '
        "which manifold's regular expressions do not support",
    ),
    (
        'properties.suffix = { pattern = "^(a+)+$" }',
        "properties.suffix.pattern",
        f'the pattern "^(a+)+$" {EXPONENTIAL}',
    ),
    (
        'properties.suffix = { pattern = "(a|a)*$" }',
        "properties.suffix.pattern",
        f'the pattern "(a|a)*$" {EXPONENTIAL}',
    ),
    (
        'properties.suffix = { pattern = "^(.*)*$" }',
        "properties.suffix.pattern",
        f'the pattern "^(.*)*$" {EXPONENTIAL}',
    ),
    (
        'properties.suffix = { pattern = "^(\\\\w+\\\\s?)+$" }',
        "properties.suffix.pattern",
        f'the pattern "^(\\\\w+\\\\s?)+$" {EXPONENTIAL}',
    ),
    (
        'properties.suffix = { pattern = "^(.*,){20}$" }',
        "properties.suffix.pattern",
        f'the pattern "^(.*,){{20}}$" {EXPONENTIAL}',
    ),
    (
        'patternProperties."^(x+x+)+y$" = true',
        'patternProperties."^(x+x+)+y$"',
        f'the pattern "^(x+x+)+y$" {EXPONENTIAL}',
    ),
    (
        'properties.suffix = { pattern = "^a*a*a*b$" }',
        "properties.suffix.pattern",
        'the pattern "^a*a*a*b$" may take polynomial time to match (adjacent repetitions that overlap)',
    ),
    (
        'properties.suffix = { pattern = "a{100000}" }',
        "properties.suffix.pattern",
        'the pattern "a{100000}" repeats more than 1000 times',
    ),
]


@pytest.mark.parametrize(("schema", "key", "words"), REFUSED, ids=[key + " " + words[:40] for _, key, words in REFUSED])
def test_a_schema_that_reaches_out_loops_or_cannot_be_matched_is_invalid_at_its_place(
    plugins: Path, schema: str, key: str, words: str
) -> None:
    folder = write(plugins, host_manifest(schema))
    line = 8 + next(i for i, text in enumerate(schema.splitlines()) if key.split(".")[0].strip('"') in text)
    assert diagnostics(folder) == [("invalid-schema", line, f"{WHERE}.{key}: not a valid JSON Schema: {words}")]


def test_a_file_ref_is_never_read_nor_echoed(plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"definitions": {"x": {"const": SECRET}}, "const": SECRET}), encoding="utf-8")
    uri = secret.as_uri()
    folder = write(plugins, host_manifest(f'properties.a = {{ "$ref" = "{uri}#/definitions/x" }}', "a = 1"))
    assert diagnostics(folder) == [
        (
            "invalid-schema",
            8,
            f'{WHERE}.properties.a."$ref": not a valid JSON Schema: the ref "{uri}#/definitions/x" {OUTSIDE}',
        )
    ]
    assert main(["validate", str(folder)]) == 1
    assert main(["validate", "--format", "json", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert "points outside the schema" in out


def test_refs_inside_the_schema_and_to_the_meta_schema_resolve_offline(plugins: Path) -> None:
    schema = """
    "$id" = "http://example.com/root.json"
    definitions.name = { "$id" = "#name", type = "string", pattern = "^[a-z]+$" }
    definitions.tree = { type = "object", properties.child = { "$ref" = "#/definitions/tree" } }
    properties.suffix = { "$ref" = "#name" }
    properties.by-id = { "$ref" = "http://example.com/root.json#/definitions/name" }
    properties.meta = { "$ref" = "http://json-schema.org/draft-07/schema#" }
    properties.tree = { "$ref" = "#/definitions/tree" }
    """
    folder = write(
        plugins, host_manifest(schema, 'suffix = "abc", by-id = "x", meta = { type = "string" }, tree = { child = {} }')
    )
    assert diagnostics(folder) == []
    folder = write(plugins, host_manifest(schema, 'suffix = "ABC", meta = { type = 5 }'))
    assert [(code, line) for code, line, _ in diagnostics(folder)] == [("config", 18), ("config", 18)]


@pytest.mark.parametrize(
    ("schema", "config", "message"),
    [
        # Valid draft-07 schemas that crashed the wording of an error, or a pattern Python reads otherwise.
        (
            "properties.mode = { oneOf = [true, true] }",
            "mode = 1",
            "extensions[0].config.mode: 1 is valid under each of True, True",
        ),
        ('properties.mode = { oneOf = [{ const = "a" }, true] }', 'mode = "b"', None),
        ('properties.suffix = { type = "string", format = "no-such-format" }', 'suffix = "x"', None),
        (
            'properties.suffix = { pattern = "^\\\\d+$" }',
            'suffix = "١٢٣"',
            'extensions[0].config.suffix: "١٢٣" must match the pattern ^\\d+$',
        ),
        (
            'properties.suffix = { pattern = "^\\\\w+$" }',
            'suffix = "é"',
            'extensions[0].config.suffix: "é" must match the pattern ^\\w+$',
        ),
        (
            'properties.suffix = { pattern = "^abc$" }',
            'suffix = "abc\\n"',
            'extensions[0].config.suffix: "abc\\n" must match the pattern ^abc$',
        ),
        (
            'properties.suffix = { pattern = "^a.c$" }',
            'suffix = "a\\rc"',
            'extensions[0].config.suffix: "a\\rc" must match the pattern ^a.c$',
        ),
        ('properties.suffix = { pattern = "^\\\\s$" }', 'suffix = "\\u00a0"', None),
        ('properties.suffix = { pattern = "^[^]$" }', 'suffix = "\\n"', None),
        ('properties.suffix = { pattern = "^(?<x>a)\\\\k<x>$" }', 'suffix = "aa"', None),
        ('properties.suffix = { pattern = "^\\\\cJ$" }', 'suffix = "\\n"', None),
        (
            "properties.tags = { uniqueItems = true }",
            'tags = [1, 1.0, true, "1"]',
            "extensions[0].config.tags: 1 appears more than once",
        ),
        (
            "properties.tags = { uniqueItems = true }",
            "tags = [true, 1, false, 0, [1], [1.0]]",
            "extensions[0].config.tags: [1] appears more than once",
        ),
        (
            'patternProperties."^x-" = { type = "integer" }\nadditionalProperties = false',
            "x-a = 1, y = 2",
            "extensions[0].config.y: unknown key",
        ),
    ],
)
def test_valid_schemas_answer_plainly(plugins: Path, schema: str, config: str, message: str | None) -> None:
    folder = write(plugins, host_manifest(schema, config))
    expected = [] if message is None else [("config", 8 + schema.count("\n") + 4, message)]
    assert diagnostics(folder) == expected


def deep(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    for _ in range(levels):
        schema = {"not": {"not": schema}}
    return schema


@pytest.mark.parametrize("levels", [60, 600, 5000])
def test_a_schema_nested_too_deep_is_invalid(levels: int) -> None:
    problems = check_schema(deep(levels), ("settings-schema",))
    assert [(p.code, p.path, p.message) for p in problems] == [
        (
            "invalid-schema",
            ("settings-schema",),
            "settings-schema: not a valid JSON Schema: nested more than 100 levels deep",
        )
    ]


def test_a_value_nested_too_deep_is_a_problem_not_a_crash() -> None:
    value: Any = 1
    for _ in range(1200):
        value = [value]
    schema = {
        "definitions": {"t": {"type": "array", "items": {"$ref": "#/definitions/t"}}},
        "properties": {"a": {"$ref": "#/definitions/t"}},
    }
    problems = instance_problems(schema, {"a": value}, ("config",), "config")
    assert [(p.code, p.path, p.message) for p in problems] == [
        ("config", ("config",), "config: nested more than 100 levels deep; not checked")
    ]


NOT_USABLE = "extensions[0].config: not checked, the schema is not usable: "


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        (
            {"properties": {"a": {"$ref": "http://127.0.0.1:9/"}}},
            f'properties.a."$ref": not a valid JSON Schema: the ref "http://127.0.0.1:9/" {OUTSIDE}',
        ),
        (
            {"properties": {"a": {"pattern": "^(a+)+$"}}},
            f'properties.a.pattern: not a valid JSON Schema: the pattern "^(a+)+$" {EXPONENTIAL}',
        ),
        (
            {"properties": {"a": {"$ref": "#/definitions/a"}}, "definitions": {"a": {"$ref": "#/definitions/a"}}},
            'definitions.a."$ref": not a valid JSON Schema: '
            'the ref "#/definitions/a" leads back to itself without descending into the value',
        ),
    ],
)
def test_host_side_checks_refuse_an_unusable_schema_without_running_it(schema: dict[str, Any], words: str) -> None:
    """Settings and configs checked by a host go through check_values: a problem, never a fetch, hang or crash."""
    _, problems = check_values(schema, {"a": "a" * 40 + "!"}, ("extensions", 0, "config"), "config")
    assert [(p.code, p.path, p.message) for p in problems] == [
        ("config", ("extensions", 0, "config"), NOT_USABLE + words)
    ]


def test_a_point_declared_in_code_with_an_outside_ref_is_refused(tmp_path: Path) -> None:
    with Manager([tmp_path]) as manager, pytest.raises(SettingsError) as caught:
        manager.add_point("acme.x", config_schema={"$ref": "https://example.com/schema.json"})
    assert str(caught.value) == (
        'point acme.x: config_schema."$ref": not a valid JSON Schema: '
        f'the ref "https://example.com/schema.json" {OUTSIDE}'
    )


def test_the_host_loads_the_neighbours_of_a_manifest_with_a_hostile_schema(plugins: Path) -> None:
    write(
        plugins,
        host_manifest('properties.suffix = { pattern = "^(a+)+$" }\nproperties.a = { "$ref" = "http://127.0.0.1:9/" }'),
    )
    write(
        plugins,
        'settings-schema.properties.name = { pattern = "^[a-z]+$" }\n[plugin]\nid = "acme.good"\nversion = "1.0"\n',
        "good",
    )
    with Manager([plugins], settings={"acme.good": {"name": "abc"}}) as manager:
        manager.start()
        assert manager.activate("acme.good")
        assert manager.inspect("acme.good").state == "active"
        assert dict(manager.settings("acme.good")) == {"name": "abc"}
        info = manager.inspect("acme.host")
    assert info.state != "active"
    assert info.state == "filtered"
    assert info.reason is not None
    assert info.reason.code == "invalid"
    assert (
        "error[invalid-schema]: extension-points[0].config-schema.properties.suffix.pattern: not a valid"
        in info.reason.message
    )


BOUNDED = """
import json, sys
from manifold.manifest.embedded import check_schema, instance_problems
from manifold.manifest._verdict import quick_valid
big = list(range(20000)) + [0.0]
print(len(instance_problems({"uniqueItems": True}, big, ("tags",), "config")))
print(quick_valid({"uniqueItems": True}, [[i, str(i)] for i in range(20000)]))
print(len(instance_problems({"pattern": "^(a|b)+$"}, "ab" * 4000 + "!", (), "config")))
print(instance_problems({"pattern": "^[a-z]+$"}, "a" * 20000, ("name",), "config")[0].message)
print(len(check_schema({"pattern": "^(a+)+$"}, ())))
"""


def test_unique_items_and_patterns_take_bounded_time() -> None:
    done = subprocess.run([sys.executable, "-c", BOUNDED], capture_output=True, text=True, timeout=20, check=True)
    assert done.stdout.splitlines() == [
        "1",
        "True",
        "1",
        'name: the pattern "^[a-z]+$" is not matched against a string of 20000 characters; at most 10000 allowed',
        "1",
    ]
