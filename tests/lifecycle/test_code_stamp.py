"""The code stamp of a plugin: computed from what the importer saw as it imported the plugin's packages, it
is the stamp read from the disk for unchanged files, and a rescan sees every edit made after the source
was read."""

from __future__ import annotations

import importlib
import itertools
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifold import Manager
from manifold.importer import PluginImporter
from manifold.lifecycle.records import code_stamp
from manifold.manifest.model import Essentials
from manifold.testing import PluginFolder

_PREFIX = "_manifold_test_code_stamp_"
_counter = itertools.count()


def unique(stem: str = "pkg") -> str:
    """A package name no other test uses, so sys.modules never answers for an earlier test."""
    return f"{_PREFIX}{stem}_{next(_counter)}"


@pytest.fixture(autouse=True)
def _forget_test_modules() -> Iterator[None]:
    yield
    for name in [name for name in sys.modules if name.startswith(_PREFIX)]:
        del sys.modules[name]


def essentials(folder: Path, *packages: str) -> Essentials:
    return Essentials(
        id="p",
        version="1.0",
        file=os.fspath(folder / "plugin.toml"),
        root=folder,
        code_root=folder,
        packages=packages,
        plugin_class=None,
        activation="eager",
        requires=frozenset(),
        installed=False,
    )


def write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- the importer's facts and the disk agree ------------------------------------------------------------

FOLDERS = ("", "sub", "sub/inner", "__pycache__", "sub/__pycache__", "odd.py", "data")
"""Where a file of the package goes ("": the package's own folder; ``odd.py`` is a folder)."""
FILES = ("a.py", "b.py", "__init__.py", "notes.txt", "c.pyc", "UPPER.PY", "d.pyi")

shapes = st.fixed_dictionaries(
    {
        "files": st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(FILES)), max_size=8, unique=True),
        "file_link": st.booleans(),  # link.py -> __init__.py (a link is followed, as os.stat follows it)
        "folder_link": st.booleans(),  # linked -> sub (a link to a folder is not walked)
        "broken_link": st.booleans(),  # gone.py -> nothing
    }
)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(shapes)
def test_a_stamp_from_the_importers_listing_is_the_stamp_from_the_disk(shape: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as scratch:
        folder, name = Path(scratch, "plugin"), unique()
        package = folder / name
        write(package / "__init__.py", "VALUE = 1\n")
        for where, file in shape["files"]:  # type: ignore[attr-defined]
            write(package / where / file, "X = 1\n")
        if shape["file_link"]:
            (package / "link.py").symlink_to(package / "__init__.py")
        if shape["folder_link"]:
            (package / "sub").mkdir(exist_ok=True)
            (package / "linked").symlink_to(package / "sub", target_is_directory=True)
        if shape["broken_link"]:
            (package / "gone.py").symlink_to(package / "missing.py")
        importer = PluginImporter()
        importer.install()
        try:
            importer.add("p", [name], folder)
            importlib.import_module(name)
            listings = importer.take_listings("p")
            assert set(listings) == {name}
            from_disk = code_stamp(essentials(folder, name))
            assert code_stamp(essentials(folder, name), listings) == from_disk
            assert from_disk[0] == 1 + sum(  # the count: .py files, __pycache__ and the linked folder aside
                file.endswith(".py") and "__pycache__" not in where and (where, file) != ("", "__init__.py")
                for where, file in shape["files"]  # type: ignore[attr-defined]
            ) + bool(shape["file_link"])
        finally:
            importer.remove("p")
            importer.uninstall()


def test_a_listing_is_the_one_of_the_last_import_and_is_handed_out_once(tmp_path: Path) -> None:
    name = unique()
    init = tmp_path / name / "__init__.py"
    write(init, "VALUE = 1\n")
    importer = PluginImporter()
    importer.install()
    try:
        importer.add("p", [name], tmp_path)
        assert importer.take_listings("p") == {}  # nothing imported yet
        module = importlib.import_module(name)
        first = importer.take_listings("p")[name]
        assert importer.take_listings("p") == {}  # the importer keeps no copy
        assert first.folder == str(tmp_path / name)
        assert [entry.name for entry in first.entries] == ["__init__.py"]
        found = os.stat(init)
        assert first.init == (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)
        write(init, "VALUE = 22\n")
        assert importlib.reload(module).VALUE == 22
        again = importer.take_listings("p")
        assert again[name].init != first.init
        assert code_stamp(essentials(tmp_path, name), again) == code_stamp(essentials(tmp_path, name))
        assert importlib.reload(module).VALUE == 22
        importer.remove("p")  # a listing never outlives the plugin's removal
        importer.add("p", [name], tmp_path)
        assert importer.take_listings("p") == {}
    finally:
        importer.remove("p")
        importer.uninstall()


LAYOUTS_WITHOUT_LISTING = {
    "a module": {"NAME.py": "VALUE = 1\n"},
    "a namespace package (PathFinder)": {"NAME/mod.py": "VALUE = 1\n"},
}


@pytest.mark.parametrize("layout", LAYOUTS_WITHOUT_LISTING, ids=list(LAYOUTS_WITHOUT_LISTING))
def test_code_found_otherwise_keeps_no_listing_and_is_stamped_from_the_disk(tmp_path: Path, layout: str) -> None:
    name = unique()
    for relative, text in LAYOUTS_WITHOUT_LISTING[layout].items():
        write(tmp_path / relative.replace("NAME", name), text)
    importer = PluginImporter()
    importer.install()
    try:
        importer.add("p", [name], tmp_path)
        importlib.import_module(f"{name}.mod" if "namespace" in layout else name)
        assert importer.take_listings("p") == {}
        assert code_stamp(essentials(tmp_path, name), {})[0] == 1
    finally:
        importer.remove("p")
        importer.uninstall()


# -- a rescan sees every edit -----------------------------------------------------------------------------


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Rewrite ``path`` with text of the same size and put its modification time back."""
    assert len(old) == len(new)
    before = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_rescan_sees_edits_of_init_and_of_a_submodule_that_keep_size_and_time(
    manifold_plugins: PluginFolder,
) -> None:
    package = unique()
    manifold_plugins.add(
        "edited",
        packages=[package],
        files={
            f"{package}/__init__.py": "from .sub.util import X\nVALUE = 1\nclass Plugin: ...\n",
            f"{package}/sub/__init__.py": "",
            f"{package}/sub/util.py": "X = 1\n",
        },
        **{"class": f"{package}:Plugin"},
    )
    manager = manifold_plugins.manager()
    manager.activate_all()
    assert manager.rescan().changed == ()
    _same_size_edit(manifold_plugins.root / "edited" / package / "__init__.py", "VALUE = 1", "VALUE = 2")
    assert manager.rescan().changed == ("edited",)
    assert sys.modules[package].VALUE == 2
    assert manager.rescan().changed == ()
    _same_size_edit(manifold_plugins.root / "edited" / package / "sub" / "util.py", "X = 1", "X = 3")
    assert manager.rescan().changed == ("edited",)
    assert sys.modules[package].X == 3
    assert manager.rescan().changed == ()


def test_an_edit_of_init_made_while_its_code_runs_is_seen_by_the_next_rescan(manifold_plugins: PluginFolder) -> None:
    # The plugin's code rewrites its own __init__.py as it runs: after its source was read, as an editor's
    # save can land between the import and the end of the activation. The code that runs is the old one.
    package = unique()
    code = (
        "import pathlib\n"
        "VALUE = 1\n"
        "_me = pathlib.Path(__file__)\n"
        "if VALUE == 1:\n"
        "    _me.write_text(_me.read_text().replace('VALUE = ' + '1', 'VALUE = ' + '2'))\n"
        "class Plugin: ...\n"
    )
    manifold_plugins.add(
        "rewriter", packages=[package], files={f"{package}/__init__.py": code}, **{"class": f"{package}:Plugin"}
    )
    manager = manifold_plugins.manager()
    manager.activate_all()
    assert sys.modules[package].VALUE == 1
    assert manager.rescan().changed == ("rewriter",)
    assert sys.modules[package].VALUE == 2
    assert manager.rescan().changed == ()


def test_a_package_imported_through_pathfinder_is_stamped_from_the_disk(manifold_plugins: PluginFolder) -> None:
    package = unique()
    manifold_plugins.add(
        "spaced",
        packages=[package],
        files={f"{package}/mod.py": "VALUE = 1\nclass Plugin: ...\n"},  # a namespace package: no __init__.py
        **{"class": f"{package}.mod:Plugin"},
    )
    manager = manifold_plugins.manager()
    manager.activate_all()
    assert manager.inspect("spaced").state == "active"
    assert manager.rescan().changed == ()
    _same_size_edit(manifold_plugins.root / "spaced" / package / "mod.py", "VALUE = 1", "VALUE = 2")
    assert manager.rescan().changed == ("spaced",)
    assert sys.modules[f"{package}.mod"].VALUE == 2


def test_a_plugin_imported_again_is_stamped_as_last_imported(manifold_plugins: PluginFolder) -> None:
    package = unique()
    manifold_plugins.add(
        "again",
        packages=[package],
        files={f"{package}/__init__.py": "VALUE = 1\nclass Plugin: ...\n"},
        **{"class": f"{package}:Plugin"},
    )
    init = manifold_plugins.root / "again" / package / "__init__.py"
    manager = manifold_plugins.manager()
    manager.activate_all()
    _same_size_edit(init, "VALUE = 1", "VALUE = 2")
    assert manager.reload("again")  # unloaded and imported again: the new code, and its stamp
    assert sys.modules[package].VALUE == 2
    assert manager.rescan().changed == ()
    manager.deactivate("again")
    manager.activate("again")  # the code held is not imported again: its stamp stays the import's
    assert manager.rescan().changed == ()
    _same_size_edit(init, "VALUE = 2", "VALUE = 3")
    assert manager.rescan().changed == ("again",)
    assert sys.modules[package].VALUE == 3


def test_an_edit_made_while_a_plugin_is_inactive_is_seen_once_it_is_active_again(
    manifold_plugins: PluginFolder,
) -> None:
    package = unique()
    manifold_plugins.add(
        "paused",
        packages=[package],
        files={f"{package}/__init__.py": "VALUE = 1\nclass Plugin: ...\n"},
        **{"class": f"{package}:Plugin"},
    )
    manager = manifold_plugins.manager()
    manager.activate_all()
    manager.deactivate("paused")
    _same_size_edit(manifold_plugins.root / "paused" / package / "__init__.py", "VALUE = 1", "VALUE = 2")
    manager.activate("paused")  # the object held is activated again: the code that runs is still the old one
    assert sys.modules[package].VALUE == 1
    assert manager.rescan().changed == ("paused",)
    assert sys.modules[package].VALUE == 2


def test_a_package_another_plugin_imports_first_is_stamped_from_that_import(manifold_plugins: PluginFolder) -> None:
    used, user = unique("used"), unique("user")
    manifold_plugins.add(
        "used",
        packages=[used],
        files={f"{used}/__init__.py": "VALUE = 1\nclass Plugin: ...\n", f"{used}/extra.py": ""},
        **{"class": f"{used}:Plugin"},
    )
    manifold_plugins.add(
        "user",
        packages=[user],
        dependencies={"used": "*"},
        files={f"{user}/__init__.py": f"import {used}\nclass Plugin: ...\n"},
        **{"class": f"{user}:Plugin"},
    )
    manager = manifold_plugins.manager()
    manager.activate("user")  # activates "used" first; "user" imports it again (from sys.modules)
    assert manager.rescan().changed == ()
    (manifold_plugins.root / "used" / used / "more.py").write_text("")
    assert manager.rescan().changed == ("used",)
    assert {pid: info.state for pid, info in manager.report.plugins.items()} == {"used": "active", "user": "active"}


def test_a_warm_start_stamps_code_from_the_code_cache_as_a_cold_one(tmp_path: Path) -> None:
    package = unique()
    folder = PluginFolder(tmp_path / "plugins")
    folder.root.mkdir()
    folder.add(
        "cached",
        packages=[package],
        files={f"{package}/__init__.py": "VALUE = 1\nclass Plugin: ...\n", f"{package}/sub/m.py": ""},
        **{"class": f"{package}:Plugin"},
    )
    try:
        for _ in range(2):  # cold (compiled, then cached), then warm (the code from the cache)
            manager: Manager = folder.manager()
            manager.activate_all()
            assert manager.inspect("cached").state == "active"
            assert manager.rescan().changed == ()
            manager.close()
        assert any(name.startswith("code-") for name in os.listdir(tmp_path / ".manifold-cache"))
    finally:
        folder.close()
