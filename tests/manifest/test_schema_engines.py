"""The compiled fast-path validator and jsonschema agree on every manifest, so diagnostics never differ."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from tests.manifest.test_properties import documents, mutations

from manifold.manifest.embedded import _fast_meta_validator, _meta_validator
from manifold.manifest.schema import COMPILED, _fast_validator, _validator, schema_digest, schema_problems

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_MANIFESTS = [path for path in (ROOT / "manifests").glob("*.toml") if path.name != "bundle.toml"]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "editors").glob("*/*.toml")) + sorted(PLUGIN_MANIFESTS)


def fast_accepts(data: Any) -> bool:
    try:
        _fast_validator("plugin")(data)
    except Exception:
        return False
    return True


def slow_accepts(data: Any) -> bool:
    return not any(True for _ in _validator("plugin").iter_errors(data))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_engines_agree_on_the_fixtures(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert fast_accepts(data) == slow_accepts(data) == (path.parent.name != "invalid")


def test_trailing_newline_is_rejected_by_both() -> None:
    data = {"plugin": {"id": "acme.kettle\n", "version": "1"}}
    assert not fast_accepts(data)
    assert not slow_accepts(data)
    assert [p.code for p in schema_problems("plugin", data)] == ["schema"]


@given(mutations())
def test_both_engines_agree_on_mutated_manifests(data: dict[str, Any]) -> None:
    assert fast_accepts(data) == slow_accepts(data)


@given(documents)
def test_both_engines_agree_on_arbitrary_documents(data: dict[str, Any]) -> None:
    assert fast_accepts(data) == slow_accepts(data)


@given(documents)
def test_both_engines_agree_on_embedded_schemas(schema: dict[str, Any]) -> None:
    try:
        _fast_meta_validator()(schema)
        fast = True
    except Exception:
        fast = False
    assert fast == (not any(True for _ in _meta_validator().iter_errors(schema)))


def test_validation_never_changes_the_data() -> None:
    """A validator that fills in defaults would change what the manifest says."""
    import copy

    from manifold.manifest.embedded import check_schema

    for path in FIXTURES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        before = copy.deepcopy(data)
        schema_problems("plugin", data)
        for point in data.get("extension-points", []):
            if isinstance(point, dict) and isinstance(point.get("config-schema"), dict):
                check_schema(point["config-schema"], ())
        assert data == before, path


def test_the_shipped_meta_schema_is_jsonschemas_draft_07() -> None:
    import json

    from jsonschema import Draft7Validator

    shipped = json.loads((ROOT / "src" / "manifold" / "schemas" / "draft-07.json").read_text())
    assert shipped == Draft7Validator.META_SCHEMA


@pytest.mark.parametrize("name", COMPILED)
def test_the_shipped_compiled_validators_are_generated_from_the_current_schemas(name: str) -> None:
    """A schema edited without running schemas/compile_validators.py would be enforced by its old version."""
    import importlib

    module = importlib.import_module(f"manifold.manifest._compiled.{name}")
    assert schema_digest(name) == module.SCHEMA_SHA256, "run: python schemas/compile_validators.py"  # type: ignore[arg-type]
