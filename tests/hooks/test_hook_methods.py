"""Hook implementations that are methods of the plugin object: ``ref = "pkg:Plugin.on_start"``."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.hooks.test_hooks import HOOK, kettle_manager, plugin

from manifold import validate
from manifold.testing import PluginFolder

CODE = """
BUILT = []

class Plugin:
    def __init__(self):
        BUILT.append(self)
        self.kettles = []

    def on_start(self, kettle):
        self.kettles.append(kettle)
        return len(self.kettles)

    def on_stop(self, kettle, temperature):
        return f"{kettle} stopped after {self.kettles}"

    async def on_async(self, kettle):
        await asyncio.sleep(0)
        return f"async {len(self.kettles)}"

    def wrap(self):
        result = yield
        return [*result, f"wrapped by {len(self.kettles)}"]

    @staticmethod
    def plain(kettle):
        return "static " + kettle

    @classmethod
    def by_class(cls, kettle):
        return cls.__name__ + " " + kettle

class Other:
    def on_start(self, kettle):
        return "other"

import asyncio
"""


def with_class(folder: PluginFolder, *extensions: str | dict[str, Any]) -> str:
    """Plugin ``a`` with the class ``Plugin``; ``extensions`` are refs (``Plugin.on_start``) or tables."""
    tables = [{"ref": f":{e}"} if isinstance(e, str) else e for e in extensions]
    package = plugin(folder, "a", CODE, *tables)
    manifest = folder.root / "a" / "plugin.toml"
    text = manifest.read_text(encoding="utf-8").replace("[plugin]\n", f'[plugin]\nclass = "{package}:Plugin"\n', 1)
    manifest.write_text(text, encoding="utf-8")
    return package


def test_methods_of_the_plugin_class_are_bound_to_the_one_plugin_object(manifold_plugins: PluginFolder) -> None:
    package = with_class(manifold_plugins, "Plugin.on_start")
    manager = kettle_manager(manifold_plugins)
    caller = manager.hook(HOOK)
    assert caller(kettle="k1", temperature=1) == [1]
    assert caller(kettle="k2", temperature=1) == [2]
    obj = manager.plugin("a")
    assert obj.kettles == ["k1", "k2"]
    import sys

    assert [obj] == sys.modules[package].BUILT  # one instance, the manager's
    assert caller.implementations[0].function == obj.on_start
    assert caller.implementations[0].argnames == ("kettle",)


def test_several_hooks_share_the_object_sync_async_and_wrappers(manifold_plugins: PluginFolder) -> None:
    refs = ["Plugin.on_start", "Plugin.on_async", "Plugin.plain", "Plugin.by_class"]
    with_class(
        manifold_plugins,
        *({"ref": f":{r}", "priority": -i} for i, r in enumerate(refs)),
        {"ref": ":Plugin.wrap", "wrapper": True},
        {"point": "acme.stop", "ref": ":Plugin.on_stop"},
    )
    manager = kettle_manager(manifold_plugins)
    manager.add_point("acme.stop", hook=True, parameters=["kettle", "temperature"])
    result = asyncio.run(manager.hook(HOOK).acall(kettle="k", temperature=1))
    assert result == [1, "async 1", "static k", "Plugin k", "wrapped by 1"]
    assert manager.hook("acme.stop")(kettle="k", temperature=1) == ["k stopped after ['k']"]
    manager.deactivate("a")
    manager.activate("a")
    assert manager.hook("acme.stop")(kettle="k", temperature=1) == ["k stopped after ['k']"]  # the same object


def test_a_method_of_another_class_is_refused(manifold_plugins: PluginFolder) -> None:
    package = with_class(manifold_plugins, "Other.on_start")
    manager = kettle_manager(manifold_plugins)
    assert manager.hook(HOOK)(kettle="k", temperature=1) == []
    [handle] = manager._registry.all_extensions()
    assert handle.error is not None
    assert handle.error.message == (
        f"{manifold_plugins.root / 'a' / 'plugin.toml'}: extensions[0].ref: "
        f"{package}:Other.on_start of a is a method of class "
        f"{package}:Other, not of the plugin's class ({package}:Plugin); only the plugin's own methods are "
        "bound to its object"
    )


def test_a_method_without_a_plugin_class_is_refused(manifold_plugins: PluginFolder) -> None:
    package = plugin(manifold_plugins, "a", CODE, {"ref": ":Plugin.on_start"})
    manager = kettle_manager(manifold_plugins)
    assert manager.hook(HOOK)(kettle="k", temperature=1) == []
    [handle] = manager._registry.all_extensions()
    assert handle.error is not None
    assert handle.error.message == (
        f"{manifold_plugins.root / 'a' / 'plugin.toml'}: extensions[0].ref: "
        f"{package}:Plugin.on_start of a is a method of class "
        f"{package}:Plugin, and the plugin declares no class; only the plugin's own methods are bound to its object"
    )


def test_validate_finds_methods_in_the_class_body(manifold_plugins: PluginFolder) -> None:
    with_class(manifold_plugins, "Plugin.on_start", "Plugin.missing")
    report = validate([manifold_plugins.root])
    assert [(d.code, d.path) for d in report.diagnostics if d.severity == "error"] == [
        ("missing-object", "extensions[1].ref")
    ]
    [missing] = [d for d in report.diagnostics if d.code == "missing-object"]
    assert missing.message.startswith("extensions[1].ref: missing is not defined in class Plugin of hk_a_")
