"""Property tests: arbitrary text, arbitrary TOML and arbitrary mutations of a valid manifest never crash."""

from __future__ import annotations

import copy
import datetime
import marshal
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifold import DIAGNOSTIC_CODES, ManifestError, load_manifest, validate
from manifold.manifest.parsed import ParsedFile
from manifold.manifest.read import parse_manifest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = tomllib.loads((ROOT / "manifests" / "plugin.toml").read_text(encoding="utf-8"))

CODES = set(DIAGNOSTIC_CODES)

keys = st.one_of(
    st.sampled_from(["plugin", "id", "version", "packages", "extensions", "point", "config", "type", "x"]),
    st.text(min_size=1, max_size=8),
)
scalars = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(datetime.UTC)),
)
toml_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)
documents = st.dictionaries(keys, toml_values, max_size=6)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_text(raw: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plugin.toml"
        path.write_bytes(raw)
        parsed = parse_manifest(path, file="plugin.toml", root=Path(folder))
        lines = raw.count(b"\n") + 1
        for d in parsed.diagnostics:
            assert d.code in CODES
            assert d.line is None or 1 <= d.line <= lines
            assert d.message
        return [d.code for d in parsed.diagnostics]


@FAST
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    parse_text(raw)


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    parse_text(text.encode("utf-8"))


@FAST
@given(documents)
def test_arbitrary_toml_documents_never_raise(document: dict[str, Any]) -> None:
    codes = parse_text(tomli_w.dumps(document).encode("utf-8"))
    assert "toml-syntax" not in codes


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths_of(item, (*prefix, i))
    return found


REFERENCE_PATHS = paths_of(REFERENCE)


@st.composite
def mutations(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(REFERENCE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(REFERENCE_PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict) != isinstance(path[-1], str):
                continue  # an earlier mutation changed this container's kind
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(toml_values)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(keys)] = draw(toml_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this place
    return data


@given(mutations())
def test_mutations_of_a_valid_manifest_never_raise(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        plugin = Path(folder) / "kettle"
        (plugin / "src" / "acme_kettle").mkdir(parents=True)
        for module in (ROOT / "manifests" / "src" / "acme_kettle").glob("*.py"):
            (plugin / "src" / "acme_kettle" / module.name).write_text(module.read_text())
        (plugin / "plugin.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
        report = validate([plugin])
        assert set(report.codes()) <= CODES
        for d in report.diagnostics:
            assert d.file is not None
            assert d.message
        parsed = parse_manifest(plugin / "plugin.toml", file="plugin.toml", root=plugin)
        wire = parse_manifest(plugin / "plugin.toml", file="plugin.toml", root=plugin, build=False).to_wire()
        try:  # how a forked reader sends it back, its manifest built here
            carried = marshal.loads(marshal.dumps(wire))
        except ValueError:  # a TOML date, which marshal cannot store: such a file is pickled instead
            assert "datetime" in repr(parsed.data)
        else:
            assert ParsedFile.from_wire(carried, plugin) == parsed
        if parsed.manifest is not None:
            assert load_manifest(plugin).id == data["plugin"]["id"]
        else:
            with pytest.raises(ManifestError) as raised:
                load_manifest(plugin)
            assert any(d.severity == "error" for d in raised.value.diagnostics)


@pytest.mark.parametrize("fixture", sorted((ROOT / "tests" / "fixtures" / "editors" / "invalid").glob("*.toml")))
def test_editor_invalid_fixtures_fail_in_manifold_too(fixture: Path) -> None:
    report = validate([fixture])
    assert not report.ok
    assert report.diagnostics[0].file == str(fixture)


@pytest.mark.parametrize("fixture", sorted((ROOT / "tests" / "fixtures" / "editors" / "valid").glob("*.toml")))
def test_editor_valid_fixtures_pass_the_schema_in_manifold(fixture: Path) -> None:
    report = validate([fixture], check_code=False)
    schema_codes = {"schema", "unknown-key", "missing-key", "manifest-version"}
    assert not schema_codes & set(report.codes())
