"""The hook relay: an implementation is built once, when its extension loads, and reused by the callers."""

from __future__ import annotations

from typing import Any

import pytest

import manifold.hooks._impl
from manifold.testing import PluginFolder

HOOK = "acme.kettle-on"


def test_an_implementation_is_built_once_when_it_loads(
    manifold_plugins: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifold_plugins.add(
        "a",
        packages=["hr_a"],
        files={"hr_a/__init__.py": "def on(kettle):\n    return 'a'\n"},
        extensions=[{"point": HOOK, "ref": "hr_a:on"}],
    )
    built: list[str] = []
    implementation = manifold.hooks._impl.implementation

    def counting(point: Any, handle: Any, value: Any) -> Any:
        built.append(handle.plugin)
        return implementation(point, handle, value)

    monkeypatch.setattr(manifold.hooks._impl, "implementation", counting)
    manager = manifold_plugins.manager()
    manager.add_point(HOOK, hook=True, parameters=["kettle"])
    caller = manager.hook(HOOK)
    assert caller(kettle="k") == ["a"]
    manager.add_point("acme.other")
    manager.deactivate("a")
    manager.activate("a")  # every caller compiles again, from the implementation kept on the handle
    assert caller(kettle="k") == ["a"]
    assert built == ["a"]
    handle = manager.extensions(HOOK)[0]
    assert handle.hook_impl is not None
    assert caller.implementations == (handle.hook_impl[1],)
    manager.unload("a")  # the object goes, and its implementation with it
    assert handle.hook_impl is None
    assert caller(kettle="k") == ["a"]
    assert built == ["a", "a"]


def test_a_point_declared_after_its_extension_loaded_still_gets_it(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add(
        "a",
        packages=["hr_b"],
        files={"hr_b/__init__.py": "def on(kettle):\n    return 'b'\n"},
        extensions=[{"point": HOOK, "ref": "hr_b:on"}],
    )
    manager = manifold_plugins.manager()
    value = manager.extensions(HOOK)[0].load()  # no point yet: nothing is built
    remove = manager.add_point(HOOK, hook=True, parameters=["kettle", "lid"])
    assert manager.hook(HOOK)(kettle="k", lid=1) == ["b"]
    remove()
    manager.add_point(HOOK, hook=True, parameters=["lid"])  # declared again: built for the new parameters
    assert manager.hook(HOOK).implementations == ()  # on(kettle) cannot take them
    assert manager.extensions(HOOK)[0].load() is value
