"""The rules about a set, written once: validate and a host say the same thing, in the same words, of one set.

Each broken set is written to a folder, then validated (``strict``: a missing dependency is an
error there too) and discovered by a manager. For each plugin, the manager's reason has the
diagnostic's code (validate's ``dependency-invalid`` is the host's ``dependency-unavailable``) and
the diagnostic's message without its key path. A warning of validate leaves the plugin loadable.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from manifold import Diagnostic, Reason, validate
from manifold.graph.rules import unavailable_because
from manifold.testing import PluginFolder

CODE = {"shared_pkg/__init__.py": ""}
AS_REASON = {"dependency-invalid": "dependency-unavailable"}
"""The one code that differs: validate's word for it -> the host's."""


def missing_dependency(folder: PluginFolder) -> None:
    folder.add("a", dependencies={"ghost": ">=2"})


def version_conflict(folder: PluginFolder) -> None:
    folder.add("base", version="1.4")
    folder.add("b", dependencies={"base": ">=2"})


def required_and_optional(folder: PluginFolder) -> None:
    folder.add("base", version="1.4")
    folder.add("needs", dependencies={"base": ">=2"})
    folder.add("likes", optional_dependencies={"base": ">=2"})


def cycle_of_three(folder: PluginFolder) -> None:
    folder.add("a", dependencies={"b": "*"})
    folder.add("b", dependencies={"c": "*"})
    folder.add("c", dependencies={"a": "*"})


def duplicate_point(folder: PluginFolder) -> None:
    folder.add("a", extension_points=[{"id": "shared.point"}])
    folder.add("b", extension_points=[{"id": "shared.point"}])


def package_conflict(folder: PluginFolder) -> None:
    folder.add("a", packages=["shared_pkg"], files=CODE)
    folder.add("b", packages=["shared_pkg"], files=CODE)


def knock_on_chain(folder: PluginFolder) -> None:
    folder.add("base", version="1.4")
    folder.add("a", dependencies={"base": ">=2"})
    folder.add("b", dependencies={"a": "*"})
    folder.add("c", dependencies={"b": "*"})


SETS: dict[str, tuple[Callable[[PluginFolder], None], dict[str, str]]] = {
    "missing-dependency": (missing_dependency, {"a": "missing-dependency"}),
    "version-conflict": (version_conflict, {"b": "version-conflict"}),
    "required-and-optional": (required_and_optional, {"needs": "version-conflict", "likes": "version-conflict"}),
    "cycle": (cycle_of_three, {"a": "cycle", "b": "cycle", "c": "cycle"}),
    "duplicate-point": (duplicate_point, {"b": "duplicate-point"}),
    "package-conflict": (package_conflict, {"b": "package-conflict"}),
    "knock-on": (knock_on_chain, {"a": "version-conflict", "b": "dependency-invalid", "c": "dependency-invalid"}),
}


def findings(folder: PluginFolder) -> tuple[dict[str, Diagnostic], dict[str, Reason]]:
    """Validate's diagnostic of each plugin, and the manager's reason of each plugin that is not resolved."""
    report = validate([folder.root], strict=True)
    diagnostics: dict[str, Diagnostic] = {}
    for d in report.diagnostics:
        assert d.plugin is not None, d
        assert d.plugin not in diagnostics, d
        diagnostics[d.plugin] = d
    infos = folder.manager().discover().plugins
    reasons = {pid: info.reason for pid, info in infos.items() if info.reason is not None}
    return diagnostics, reasons


@pytest.mark.parametrize("name", SETS)
def test_validate_and_the_manager_say_the_same(manifold_plugins: PluginFolder, name: str) -> None:
    write, expected = SETS[name]
    write(manifold_plugins)
    diagnostics, reasons = findings(manifold_plugins)
    assert {pid: d.code for pid, d in diagnostics.items()} == expected
    errors = {pid: d for pid, d in diagnostics.items() if d.severity == "error"}
    assert set(reasons) == set(errors)
    for pid, d in errors.items():
        reason = reasons[pid]
        assert reason.code == AS_REASON.get(d.code, d.code)
        assert d.message == f"{d.path}: {reason.message}"


def test_a_missing_dependency_names_the_id_and_where_it_was_looked_for(manifold_plugins: PluginFolder) -> None:
    missing_dependency(manifold_plugins)
    diagnostics, reasons = findings(manifold_plugins)
    assert reasons["a"].message == "a needs ghost >=2, but no manifest found has the id ghost"
    assert diagnostics["a"].message == f"dependencies.ghost: {reasons['a'].message}"


def test_optional_mismatch_is_a_warning_and_loads(manifold_plugins: PluginFolder) -> None:
    required_and_optional(manifold_plugins)
    diagnostics, reasons = findings(manifold_plugins)
    file = f"{manifold_plugins.root}/base/plugin.toml"
    assert (diagnostics["needs"].severity, diagnostics["needs"].message) == (
        "error",
        f"dependencies.base: needs needs base >=2, but base is version 1.4 ({file})",
    )
    assert (diagnostics["likes"].severity, diagnostics["likes"].message) == (
        "warning",
        f"optional-dependencies.base: likes needs base >=2, but base is version 1.4 ({file})",
    )
    assert "likes" not in reasons


def test_cycle_is_named_in_full(manifold_plugins: PluginFolder) -> None:
    cycle_of_three(manifold_plugins)
    diagnostics, reasons = findings(manifold_plugins)
    for pid in "abc":
        assert reasons[pid].message == "dependency cycle a -> b -> c -> a"
        assert reasons[pid].chain == ("a", "b", "c", "a")
    assert diagnostics["c"].message == "dependencies.a: dependency cycle a -> b -> c -> a"


def test_knock_on_carries_its_chain_and_root_cause_as_data(manifold_plugins: PluginFolder) -> None:
    knock_on_chain(manifold_plugins)
    diagnostics, reasons = findings(manifold_plugins)
    root = f"a needs base >=2, but base is version 1.4 ({manifold_plugins.root}/base/plugin.toml)"
    assert reasons["a"] == Reason("version-conflict", root)
    c = reasons["c"]
    assert (c.code, c.chain, c.cause) == ("dependency-unavailable", ("b", "a"), reasons["a"])
    assert c.message == f"c is unavailable because b is unavailable because a is unavailable: {root}"
    assert diagnostics["c"].message == f"dependencies.b: {c.message}"


def test_a_chain_is_built_from_data_not_from_words() -> None:
    root = Reason("failed", "x failed in import: ValueError: a: b: c")
    first = unavailable_because("y", "x", root)
    second = unavailable_because("z", "y", first)
    assert (second.chain, second.cause) == (("y", "x"), root)
    assert second.message == (
        "z is unavailable because y is unavailable because x is unavailable: x failed in import: ValueError: a: b: c"
    )
