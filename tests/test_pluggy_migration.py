"""Gradual migration: a manifest for a plugin that is still pip-installed (``[plugin] distribution``)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from manifold import validate
from manifold.testing import PluginFolder


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site-packages folder on sys.path holding the distribution tea-timer 2.1 (package tea_timer)."""
    site = tmp_path / "site"
    (site / "tea_timer").mkdir(parents=True)
    (site / "tea_timer" / "__init__.py").write_text("WHERE = 'site-packages'\n\ndef brew():\n    return 'brewed'\n")
    info = site / "tea_timer-2.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tea-timer\nVersion: 2.1\n")
    (info / "RECORD").write_text("tea_timer/__init__.py,,\ntea_timer-2.1.dist-info/METADATA,,\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    for name in [m for m in sys.modules if m.partition(".")[0] == "tea_timer"]:
        del sys.modules[name]


def timer_plugin(folder: PluginFolder, **plugin: str) -> None:
    folder.add(
        "tea.timer",
        version="2.1",
        packages=["tea_timer"],
        extensions=[{"point": "tea.brew", "ref": "tea_timer:brew"}],
        **plugin,
    )


def test_an_installed_package_is_a_shadowing_error_without_distribution(
    manifold_plugins: PluginFolder, installed: Path
) -> None:
    timer_plugin(manifold_plugins)
    errors = [(d.code, d.message) for d in validate([manifold_plugins.root]).diagnostics if d.severity == "error"]
    assert errors == [
        (
            "missing-module",
            "extensions[0].ref: module tea_timer not found: "
            "no tea_timer.py or tea_timer/__init__.py in the plugin folder",
        ),
        (
            "shadowing",
            f'plugin.packages[0]: "tea_timer" would shadow the installed module tea_timer '
            f"({installed / 'tea_timer' / '__init__.py'}); if this plugin is that installed code, "
            'set plugin.distribution = "tea-timer"; else rename the package',
        ),
    ]


def test_distribution_describes_the_installed_package(manifold_plugins: PluginFolder, installed: Path) -> None:
    timer_plugin(manifold_plugins, distribution="tea-timer")
    report = validate([manifold_plugins.root])
    assert [(d.code, d.severity) for d in report.diagnostics] == [("unknown-point", "warning")]  # no shadowing
    manager = manifold_plugins.manager()
    manager.add_point("tea.brew")
    assert [h.load()() for h in manager.extensions("tea.brew")] == ["brewed"]  # imported from sys.path
    assert sys.modules["tea_timer"].__file__ == str(installed / "tea_timer" / "__init__.py")
    assert manager.inspect("tea.timer").state == "active"
    assert [str(r) for r in manager.inspect("tea.timer").manifest.requires] == ["tea-timer"]  # type: ignore[union-attr]


def test_a_distribution_that_is_not_installed_filters_the_plugin(manifold_plugins: PluginFolder) -> None:
    timer_plugin(manifold_plugins, distribution="tea-timer")
    manifold_plugins.add("tea.other")
    manager = manifold_plugins.manager()
    info = manager.inspect("tea.timer")
    assert (info.state, info.reason and info.reason.code) == ("filtered", "missing-requirement")
    assert manager.inspect("tea.other").state == "resolved"
