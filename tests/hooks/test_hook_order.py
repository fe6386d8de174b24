"""The order of a point's contributions: ``order = "priority"`` (default) or ``"last-registered-first"``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.conftest import WritePlugin
from tests.hooks.test_hooks import HOOK, plugin

from manifold import SettingsError, validate
from manifold.testing import PluginFolder

NAMED = "def on(kettle):\n    return __name__.split('_')[1]\n"
WRAPS = """
def wrap(kettle):
    return (yield) + [__name__.split('_')[1] + " wrapped"]
"""


def five_plugins(folder: PluginFolder, *, code: str = NAMED, **extension: Any) -> None:
    """Plugins a to e, loaded in that order; ``c`` contributes with priority 5, the others with 0."""
    for pid in "abcde":
        plugin(folder, pid, code, {"ref": ":on", "priority": 5 if pid == "c" else 0, **extension})


def declared(folder: PluginFolder, **options: Any) -> None:
    """The hook, declared by a plugin ``host`` loaded after the others."""
    point = {"id": HOOK, "hook": True, "parameters": ["kettle", "temperature"], **options}
    folder.add("zz-host", extension_points=[point])


def test_by_default_priority_then_load_order(manifold_plugins: PluginFolder) -> None:
    five_plugins(manifold_plugins)
    declared(manifold_plugins)
    manager = manifold_plugins.manager()
    assert manager.points()[HOOK].order == "priority"
    assert manager.hook(HOOK)(kettle="k", temperature=1) == ["c", "a", "b", "d", "e"]


def test_last_registered_first_in_every_kind_of_call(manifold_plugins: PluginFolder) -> None:
    five_plugins(manifold_plugins)
    declared(manifold_plugins, order="last-registered-first")
    manager = manifold_plugins.manager()
    expected = ["c", "e", "d", "b", "a"]  # the priority first, then the plugin loaded last first
    caller = manager.hook(HOOK)
    assert [h.plugin for h in manager.extensions(HOOK)] == expected
    assert caller(kettle="k", temperature=1) == expected
    assert [p for p, _ in caller.call_safe(kettle="k", temperature=1).successes] == expected
    assert asyncio.run(caller.acall(kettle="k", temperature=1)) == expected
    assert [p for p, _ in asyncio.run(caller.acall_safe(kettle="k", temperature=1)).successes] == expected
    historic: list[str] = []
    caller.call_historic(result_callback=historic.append, kettle="k", temperature=1)
    assert historic == expected


def test_last_registered_first_firstresult_and_the_general_path(manifold_plugins: PluginFolder) -> None:
    for pid in "abc":
        plugin(manifold_plugins, pid, NAMED, {"ref": ":on"}, {"point": "acme.odd", "ref": ":on"})
    declared(manifold_plugins, order="last-registered-first", firstresult=True)
    manager = manifold_plugins.manager()
    assert manager.hook(HOOK)(kettle="k", temperature=1) == "c"
    # "class" cannot be a parameter of generated code: the general loop runs, in the same order
    manager.add_point("acme.odd", hook=True, parameters=["kettle", "class"], order="last-registered-first")
    assert manager.hook("acme.odd")(**{"kettle": "k", "class": 1}) == ["c", "b", "a"]


def test_several_contributions_of_one_plugin_and_wrappers(manifold_plugins: PluginFolder) -> None:
    code = NAMED + "def two(kettle):\n    return __name__.split('_')[1] + '2'\n" + WRAPS
    for pid in "ab":
        plugin(manifold_plugins, pid, code, {"ref": ":on"}, {"ref": ":two"}, {"ref": ":wrap", "wrapper": True})
    declared(manifold_plugins, order="last-registered-first")
    caller = manifold_plugins.manager().hook(HOOK)
    # b's wrapper, registered last, is outermost: it sees the result last
    assert caller(kettle="k", temperature=1) == ["b2", "b", "a2", "a", "a wrapped", "b wrapped"]


def test_the_host_declares_the_order(manifold_plugins: PluginFolder) -> None:
    five_plugins(manifold_plugins)
    manager = manifold_plugins.manager()
    manager.add_point(HOOK, hook=True, parameters=["kettle", "temperature"], order="last-registered-first")
    assert manager.hook(HOOK)(kettle="k", temperature=1) == ["c", "e", "d", "b", "a"]
    with pytest.raises(SettingsError) as raised:
        manager.add_point("acme.other", order="random")  # type: ignore[arg-type]
    assert str(raised.value) == (
        'point acme.other: order must be "priority" or "last-registered-first", not \'random\''
    )


def test_a_wrong_order_or_timeout_in_a_manifest_is_a_schema_error(write_plugin: WritePlugin) -> None:
    for name, key, value in [("a", "order", '"random"'), ("b", "timeout", "0")]:
        write_plugin(
            name,
            f'[plugin]\nid = "{name}"\nversion = "1"\n[[extension-points]]\nid = "{name}.p"\n'
            f"hook = true\n{key} = {value}\n",
        )
    report = validate(["plugins"])
    assert [(d.code, d.path, d.line, d.message) for d in report.diagnostics] == [
        (
            "schema",
            "extension-points[0].order",
            7,
            "extension-points[0].order: 'random' is not one of ['priority', 'last-registered-first']",
        ),
        (
            "schema",
            "extension-points[0].timeout",
            7,
            "extension-points[0].timeout: 0 is less than or equal to the minimum of 0",
        ),
    ]
