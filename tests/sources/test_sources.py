"""Sources: plugin folders inside installed packages (pkg://), also when the package is a zip."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from manifold import FolderSource, Manager, PackageSource
from manifold.sources.locations import as_source

MANIFEST = """\
[plugin]
id = "{id}"
version = "1.0"
packages = ["{package}"]
class = "{package}:Plugin"

[[extensions]]
point = "host.greeters"
ref = "{package}:greet"
"""
CODE = "class Plugin:\n    def activate(self):\n        self.active = True\n\ndef greet():\n    return __file__\n"


def host_package(root: Path, name: str) -> dict[str, str]:
    """Files of a host package ``name`` that ships two plugins in ``name/plugins/``."""
    files = {f"{name}/__init__.py": "", f"{name}/plugins/README.txt": "not a plugin"}
    for plugin in ("alpha", "beta"):
        package = f"{name}_{plugin}"
        files[f"{name}/plugins/{plugin}/plugin.toml"] = MANIFEST.format(id=f"{name}.{plugin}", package=package)
        files[f"{name}/plugins/{plugin}/{package}/__init__.py"] = CODE
    return files


def test_as_source() -> None:
    assert as_source("pkg://acme/plugins/") == PackageSource("acme", "plugins")
    assert as_source("pkg://acme") == PackageSource("acme", "")
    assert as_source("some/folder") == FolderSource(Path("some/folder"))
    assert PackageSource("acme", "plugins").name == "pkg://acme/plugins"


def test_plugins_inside_an_installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for relative, text in host_package(tmp_path, "hostpkg_dir").items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    with Manager(["pkg://hostpkg_dir/plugins"], environ={}) as manager:
        report = manager.discover()
        assert report.order == ("hostpkg_dir.alpha", "hostpkg_dir.beta")
        assert report.plugins["hostpkg_dir.alpha"].file == "pkg://hostpkg_dir/plugins/alpha/plugin.toml"
        assert report.plugins["hostpkg_dir.alpha"].source == "pkg://hostpkg_dir/plugins"
        files = [handle.load()() for handle in manager.extensions("host.greeters")]
        assert files == [
            str(tmp_path / "hostpkg_dir/plugins/alpha/hostpkg_dir_alpha/__init__.py"),
            str(tmp_path / "hostpkg_dir/plugins/beta/hostpkg_dir_beta/__init__.py"),
        ]
    assert "hostpkg_dir_alpha" not in sys.modules


def test_plugins_inside_a_zipped_package_load_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "host.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for relative, text in host_package(tmp_path, "hostpkg_zip").items():
            zf.writestr(relative, text)
    monkeypatch.syspath_prepend(str(archive))
    with Manager(["pkg://hostpkg_zip/plugins"], environ={}) as manager:
        assert manager.discover().order == ("hostpkg_zip.alpha", "hostpkg_zip.beta")
        assert manager.activate("hostpkg_zip.beta")
        assert manager.plugin("hostpkg_zip.beta").active is True
        greet = manager.extension("host.greeters").load()
        assert greet() == str(archive / "hostpkg_zip/plugins/alpha/hostpkg_zip_alpha/__init__.py")
    assert list(tmp_path.iterdir()) == [archive]


def _seen(locations: list[Any]) -> list[tuple[str, Path, Path, tuple[int, ...] | None, tuple[int, int] | None]]:
    return [(loc.file, loc.source, loc.root, loc.stamp, loc.identity) for loc in locations]


def test_a_folder_source_finds_each_plugin_folder_with_its_manifest_stamp_and_bundle_members_after_them(
    tmp_path: Path,
) -> None:
    from manifold.sources.scan import find_manifests

    drop_in = tmp_path / "plugins"
    for name in ("b", "a", ".hidden", "c"):
        (drop_in / name).mkdir(parents=True)
        (drop_in / name / "plugin.toml").write_text(f'[plugin]\nid = "{name}"\nversion = "1.0"\n')
    (drop_in / "empty").mkdir()
    (drop_in / "notes.txt").write_text("not a plugin")

    def expected(*names: str) -> list[tuple[str, Path, Path, tuple[int, ...], tuple[int, int]]]:
        rows = []
        for name in names:
            found = (drop_in / name / "plugin.toml").stat()
            stamp = (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)
            file = f"{drop_in}/{name}/plugin.toml"
            rows.append((file, drop_in / name / "plugin.toml", drop_in / name, stamp, (found.st_dev, found.st_ino)))
        return rows

    assert _seen(FolderSource(drop_in).manifests()) == expected("a", "b", "c")
    assert _seen(find_manifests(drop_in / "a"))[0][1:] == expected("a")[0][1:]  # a plugin folder itself
    assert [loc.file for loc in FolderSource(drop_in / "a", label="one").manifests()] == ["one/plugin.toml"]
    # A bundle folder beside them: the same plugin folders, and the bundle's members after its manifest.
    (drop_in / "d").mkdir()
    (drop_in / "d" / "bundle.toml").write_text('[bundle]\n\n[[plugins]]\nid = "d.one"\nversion = "1.0"\n')
    found = FolderSource(drop_in).manifests()
    assert _seen(found[:3]) == expected("a", "b", "c")
    assert [(loc.file, loc.stamp) for loc in found[3:]] == [(f"{drop_in}/d/bundle.toml", None)]
