"""Extension points and extensions: order, lazy loading, interfaces, configs, single lookups."""

from __future__ import annotations

import itertools
import logging
import sys
from typing import Any, Protocol, runtime_checkable

import pytest

from manifold import ExtensionError
from manifold.testing import PluginFolder

_counter = itertools.count()


def code_plugin(folder: PluginFolder, plugin_id: str, code: str, **fields: Any) -> str:
    """A plugin with one package whose ``__init__`` is ``code``; "PKG" in the fields names that package."""
    package = f"ext_{plugin_id.replace('.', '_').replace('-', '_')}_{next(_counter)}"

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("PKG", package)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    folder.add(plugin_id, packages=[package], files={f"{package}/__init__.py": code}, **fill(fields))
    return package


GREETER = """
class Greeter:
    instances = 0
    def __init__(self):
        Greeter.instances += 1
    def greet(self):
        return "hello from " + __name__

def shout():
    return "HEY"
"""


def test_order_by_priority_then_load_order(manifold_plugins: PluginFolder) -> None:
    for pid, priority in [("c", 5), ("a", 0), ("b", 5), ("d", -1)]:
        code_plugin(
            manifold_plugins,
            pid,
            GREETER,
            extensions=[{"point": "host.greeters", "ref": "PKG:Greeter", "priority": priority}],
        )
    manager = manifold_plugins.manager()
    assert [(h.plugin, h.priority) for h in manager.extensions("host.greeters")] == [
        ("b", 5),
        ("c", 5),
        ("a", 0),
        ("d", -1),
    ]


def test_extensions_import_nothing_until_loaded(manifold_plugins: PluginFolder) -> None:
    used = code_plugin(manifold_plugins, "used", GREETER, extensions=[{"point": "p.one", "ref": "PKG:Greeter"}])
    other = code_plugin(manifold_plugins, "other", GREETER, extensions=[{"point": "p.two", "ref": "PKG:Greeter"}])
    manager = manifold_plugins.manager()
    (handle,) = manager.extensions("p.one")
    assert (handle.plugin, handle.id, handle.priority, dict(handle.config), handle.loaded) == (
        "used",
        None,
        0,
        {},
        False,
    )
    assert used not in sys.modules
    greeter = handle.load()
    assert greeter.greet() == f"hello from {used}"
    assert handle.load() is greeter
    assert sys.modules[used].Greeter.instances == 1
    assert other not in sys.modules
    assert manager.inspect("used").state == "active"
    assert manager.inspect("other").state == "resolved"


def test_functions_are_returned_as_is_and_data_only_gives_config(manifold_plugins: PluginFolder) -> None:
    package = code_plugin(
        manifold_plugins,
        "a",
        GREETER,
        extensions=[
            {"point": "p.fn", "ref": "PKG:shout"},
            {"point": "p.data", "id": "menu", "config": {"label": "Open", "keys": ["ctrl", "o"]}},
        ],
    )
    manager = manifold_plugins.manager()
    assert manager.extension("p.fn").load() is sys.modules[package].shout
    data = manager.extension("p.data")
    assert data.id == "menu"
    assert dict(data.load()) == {"label": "Open", "keys": ["ctrl", "o"]}


@runtime_checkable
class Greets(Protocol):
    def greet(self) -> str: ...


def test_interface_from_the_host_accepts_matches_and_fails_only_the_mismatch(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    good = code_plugin(manifold_plugins, "good", GREETER, extensions=[{"point": "host.greeters", "ref": "PKG:Greeter"}])
    code_plugin(
        manifold_plugins,
        "bad",
        "class NotAGreeter: ...\n",
        extensions=[{"point": "host.greeters", "ref": "PKG:NotAGreeter", "priority": 9}],
    )
    manager = manifold_plugins.manager()
    manager.add_point("host.greeters", interface=Greets)
    first, second = manager.extensions("host.greeters")
    with pytest.raises(ExtensionError) as raised, caplog.at_level(logging.ERROR, logger="manifold"):
        first.load()
    bad_package = first.ref.module if first.ref else ""
    message = (
        f"{bad_package}:NotAGreeter of bad is a {bad_package}.NotAGreeter, not a "
        f"{__name__}.Greets as point host.greeters requires"
    )
    assert str(raised.value) == message
    assert caplog.messages == [message]
    assert first.error is not None
    assert (first.error.code, first.error.phase) == ("failed", "extension")
    assert second.load().greet() == f"hello from {good}"
    assert [h.plugin for h in manager.extensions("host.greeters")] == ["good"]
    assert manager.inspect("bad").state == "active"


def test_interface_declared_in_a_manifest(manifold_plugins: PluginFolder) -> None:
    core = code_plugin(
        manifold_plugins,
        "core",
        "class Formatter:\n    def render(self, text):\n        raise NotImplementedError\n",
        extension_points=[{"id": "core.formatters", "interface": "PKG:Formatter"}],
    )
    code_plugin(
        manifold_plugins,
        "upper",
        f"from {core} import Formatter\n"
        "class Upper(Formatter):\n    def render(self, text):\n        return text.upper()\n",
        dependencies={"core": "*"},
        extensions=[{"point": "core.formatters", "ref": "PKG:Upper"}],
    )
    liar = code_plugin(
        manifold_plugins,
        "liar",
        "class Liar:\n    def render(self, text):\n        return text\n",
        extensions=[{"point": "core.formatters", "ref": "PKG:Liar"}],
    )
    manager = manifold_plugins.manager()
    liar_handle, upper_handle = manager.extensions("core.formatters")
    with pytest.raises(ExtensionError) as raised:
        liar_handle.load()
    assert str(raised.value) == (
        f"{liar}:Liar of liar is a {liar}.Liar, not a {core}.Formatter as point core.formatters requires"
    )
    assert upper_handle.load().render("x") == "X"
    assert manager.inspect("core").state == "active"


def test_config_is_validated_and_defaults_filled_on_load(manifold_plugins: PluginFolder) -> None:
    schema = {
        "type": "object",
        "required": ["suffix"],
        "properties": {"suffix": {"type": "string"}, "indent": {"type": "integer", "default": 2}},
    }
    manifold_plugins.add("core", extension_points=[{"id": "core.fmt", "config-schema": schema}])
    manifold_plugins.add(
        "ok", extensions=[{"point": "core.fmt", "id": "md", "config": {"suffix": ".md"}, "priority": 1}]
    )
    manifold_plugins.add("bad", extensions=[{"point": "core.fmt", "config": {"suffix": 3}}])
    manager = manifold_plugins.manager()
    ok, bad = manager.extensions("core.fmt")
    assert dict(ok.load()) == {"suffix": ".md", "indent": 2}
    assert dict(ok.config) == {"suffix": ".md", "indent": 2}
    with pytest.raises(
        ExtensionError,
        match=r"^bad: extensions\[0\]\.config\.suffix: expected a string, got an integer \(3\)$",
    ):
        bad.load()
    assert [h.plugin for h in manager.extensions("core.fmt")] == ["ok"]


def test_config_defaults_are_filled_at_any_depth_before_load_and_a_schema_without_any_keeps_the_config(
    manifold_plugins: PluginFolder,
) -> None:
    nested = {"properties": {"page": {"type": "object", "properties": {"margin": {"type": "integer", "default": 4}}}}}
    plain = {"properties": {"label": {"type": "string"}, "page": {"type": "object", "properties": {}}}}
    manifold_plugins.add(
        "core",
        extension_points=[{"id": "core.nested", "config-schema": nested}, {"id": "core.plain", "config-schema": plain}],
    )
    manifold_plugins.add(
        "ok",
        extensions=[
            {"point": "core.nested", "config": {"page": {}}},
            {"point": "core.plain", "config": {"label": "x", "page": {"size": 1}}},
        ],
    )
    manager = manifold_plugins.manager()
    assert dict(manager.extension("core.nested").config) == {"page": {"margin": 4}}
    assert dict(manager.extension("core.plain").config) == {"label": "x", "page": {"size": 1}}
    assert manager.settings("ok") == {}


def test_host_point_with_config_schema(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a", extensions=[{"point": "host.menu", "config": {}}])
    manager = manifold_plugins.manager()
    manager.add_point("host.menu", config_schema={"properties": {"label": {"type": "string", "default": "?"}}})
    assert dict(manager.extension("host.menu").load()) == {"label": "?"}
    with pytest.raises(ValueError, match=r"point host\.bad: config_schema\.type: not a valid JSON Schema"):
        manager.add_point("host.bad", config_schema={"type": "table"})


def test_single_lookup_errors_and_cardinality_warning(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    manifold_plugins.add("a", extension_points=[{"id": "a.store", "cardinality": "one"}, {"id": "a.empty"}])
    manifold_plugins.add("b", extensions=[{"point": "a.store", "priority": 1}])
    manifold_plugins.add("c", extensions=[{"point": "a.store"}])
    manager = manifold_plugins.manager()
    with pytest.raises(ExtensionError, match=r"^unknown extension point 'nope'$"):
        manager.extension("nope")
    with pytest.raises(ExtensionError, match=r"^extension point 'a\.empty' has no extensions$"):
        manager.extension("a.empty")
    assert manager.extensions("nope") == []
    with caplog.at_level(logging.WARNING, logger="manifold"):
        assert manager.extension("a.store").plugin == "b"
    assert caplog.messages == ["point a.store takes one extension but has 2 (b, c); using b's"]


def test_extension_markers_skip_the_extension(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add(
        "a",
        extensions=[
            {"point": "p", "id": "never", "markers": "sys_platform == 'nowhere'"},
            {"point": "p", "id": "always", "markers": "python_version >= '3'"},
        ],
    )
    assert [h.id for h in manifold_plugins.manager().extensions("p")] == ["always"]


def test_points_lists_manifest_and_host_points(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a", extension_points=[{"id": "a.hooks", "hook": True, "parameters": ["x"]}])
    manager = manifold_plugins.manager()
    remove = manager.add_point("host.menu", description="The menu")
    points = manager.points()
    assert sorted(points) == ["a.hooks", "host.menu"]
    assert (points["a.hooks"].plugin, points["a.hooks"].hook, points["a.hooks"].parameters) == (
        "a",
        True,
        ("x",),
    )
    assert points["host.menu"].plugin is None
    remove()
    assert sorted(manager.points()) == ["a.hooks"]


def test_using_one_point_of_a_thousand_lazy_plugins_imports_only_its_plugins(
    manifold_plugins: PluginFolder,
) -> None:
    packages = {}
    for i in range(1000):
        pid = f"bulk.p{i:04d}"
        point = "bulk.wanted" if i % 100 == 7 else f"bulk.other{i % 3}"
        packages[pid] = code_plugin(
            manifold_plugins,
            pid,
            "def f():\n    return __name__\n",
            extensions=[{"point": point, "ref": "PKG:f"}],
        )
    manager = manifold_plugins.manager(timeout=None)
    before = set(sys.modules)
    report = manager.discover()
    assert len(report.order) == 1000
    assert {m for m in set(sys.modules) - before if m.startswith("ext_bulk")} == set()  # no plugin code
    names = [handle.load()() for handle in manager.extensions("bulk.wanted")]
    wanted = [packages[f"bulk.p{i:04d}"] for i in range(7, 1000, 100)]
    assert names == wanted
    assert {m for m in set(sys.modules) - before if m.startswith("ext_bulk")} == set(wanted)
