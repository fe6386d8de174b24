"""The index of importable modules the shadowing check asks lists what ``pkgutil.iter_modules`` lists."""

from __future__ import annotations

import importlib.machinery
import os
import pkgutil
import sys
import zipfile
from pathlib import Path

from manifold.manifest.rules import _ModuleIndex


def listed(path: list[str]) -> set[str]:
    return {module.name for module in pkgutil.iter_modules(path)}


def candidates(path: list[str]) -> set[str]:
    """Every name a folder of ``path`` suggests (entries, and entries without each module suffix)."""
    names = {"", "__init__", "a.b", "nothing_here"}
    for folder in path:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            names.add(entry)
            names.update(entry.removesuffix(s) for s in importlib.machinery.all_suffixes())
    return names


def test_the_index_agrees_with_pkgutil_on_odd_folders(tmp_path: Path) -> None:
    top = tmp_path / "top"
    for relative in [
        "plain.py",
        "compiled.pyc",
        f"native{importlib.machinery.EXTENSION_SUFFIXES[0]}",
        "pkg/__init__.py",
        "pkg_compiled/__init__.pyc",
        "namespace/module.py",  # no __init__: pkgutil does not list it
        "dotted.name/__init__.py",
        "two.dots.py",
        "noext",
        "__init__.py",
        "both.py",
        "both/__init__.py",
    ]:
        (top / relative).parent.mkdir(parents=True, exist_ok=True)
        (top / relative).write_text("")
    (top / "folder.py").mkdir()  # a folder named like a module: pkgutil lists it
    (top / "pkg_in_name" / "__init__.py.txt").parent.mkdir()
    (top / "pkg_in_name" / "__init__.py.txt").write_text("")
    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("zipped.py", "")
        bundle.writestr("zipped_pkg/__init__.py", "")
    path = [str(top), str(archive), str(tmp_path / "missing"), str(top / "plain.py"), *sys.path]
    index = _ModuleIndex(tuple(path))
    expected = listed(path)
    assert {"plain", "compiled", "native", "pkg", "pkg_compiled", "folder", "both", "zipped", "zipped_pkg"} <= expected
    for name in candidates(path) | expected:
        assert (name in index) == (name in expected), name
