"""Sources: plugin folders inside installed packages (pkg://), also when the package is a zip."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

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
