"""A pytest plugin for hosts and plugin authors: write plugin folders in a test, get an isolated manager.

Registered through the package's ``pytest11`` entry point; use the ``manifold_plugins`` fixture::

    def test_kettle(manifold_plugins):
        manifold_plugins.add("acme.kettle", packages=["acme_kettle"], files={"acme_kettle/__init__.py": ""})
        manager = manifold_plugins.manager(app="acme")
        manager.start()

Every manager made this way is closed after the test: plugins deactivated, their modules
removed from ``sys.modules``, the import finder taken off ``sys.meta_path``, listeners dropped.

Loaded by every pytest run where manifold is installed, so it imports manifold itself (and the TOML
writer) only when a test uses the fixture.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from manifold.manager import Manager

__all__ = ["PluginFolder", "manifold_plugins"]


class PluginFolder:
    """A drop-in folder a test fills with plugins, and the managers built over it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._managers: list[Manager] = []

    def add(
        self,
        plugin_id: str,
        *,
        version: str = "1.0",
        manifest: str | Mapping[str, Any] | None = None,
        files: Mapping[str, str] | None = None,
        folder: str | None = None,
        **tables: Any,
    ) -> Path:
        """Write a plugin folder (named ``folder`` or after the id) and return it.

        ``manifest`` is the whole manifest as TOML text or a table; otherwise one is written from
        ``plugin_id``, ``version`` and ``tables``: keys of ``[plugin]`` given with underscores
        (``source_root=...``), plus ``dependencies``, ``optional_dependencies``, ``settings_schema``,
        ``extension_points`` and ``extensions``. ``files`` maps relative paths to file contents.
        """
        target = self.root / (folder or plugin_id)
        target.mkdir(parents=True, exist_ok=True)
        if isinstance(manifest, str):
            text = textwrap.dedent(manifest).lstrip("\n")
        else:
            import tomli_w

            text = tomli_w.dumps(dict(manifest) if manifest is not None else _manifest(plugin_id, version, tables))
        (target / "plugin.toml").write_text(text, encoding="utf-8")
        for relative, content in (files or {}).items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return target

    def manager(self, *extra_sources: str | Path, **options: Any) -> Manager:
        """A manager over this folder (then ``extra_sources``), closed when the test ends."""
        from manifold.manager import Manager

        options.setdefault("cache_dir", self.root.parent / ".manifold-cache")
        manager = Manager([self.root, *extra_sources], **options)
        self._managers.append(manager)
        return manager

    def close(self) -> None:
        while self._managers:
            self._managers.pop().close()


_TABLES = ("dependencies", "optional_dependencies", "settings_schema", "extension_points", "extensions")


def _manifest(plugin_id: str, version: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"plugin": {"id": plugin_id, "version": version}}
    for key, value in fields.items():
        if key in _TABLES:
            data[key.replace("_", "-")] = value
        else:
            data["plugin"][key.replace("_", "-")] = value
    return data


@pytest.fixture
def manifold_plugins(tmp_path: Path) -> Iterator[PluginFolder]:
    """An empty drop-in folder; its managers are closed (and their plugins unloaded) afterwards."""
    folder = PluginFolder(tmp_path / "plugins")
    folder.root.mkdir()
    try:
        yield folder
    finally:
        folder.close()
