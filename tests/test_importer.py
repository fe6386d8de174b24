"""Tests of manifold.importer: plugin packages served from their folders, then unloaded."""

from __future__ import annotations

import gc
import importlib
import inspect
import itertools
import marshal
import os
import shutil
import sys
import tempfile
import textwrap
import traceback
import types
import weakref
import zipfile
import zipimport
from collections.abc import Iterator
from importlib.machinery import SourceFileLoader
from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifold import ManifoldError, PackageClaimError, Reference, UsageError
from manifold.importer import PluginImporter

_PREFIX = "_manifold_test_importer_"
_counter = itertools.count()


def unique(stem: str = "pkg") -> str:
    """A package name no other test uses, so sys.modules never answers for an earlier test."""
    return f"{_PREFIX}{stem}_{next(_counter)}"


def write(folder: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def write_zip(archive: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for relative, text in files.items():
            zf.writestr(relative, textwrap.dedent(text))
    return archive


def _forget_test_modules() -> None:
    for name in [name for name in sys.modules if name.startswith(_PREFIX)]:
        del sys.modules[name]


@pytest.fixture
def importer() -> Iterator[PluginImporter]:
    """An installed importer; afterwards it is uninstalled and every test package is unloaded."""
    finder = PluginImporter()
    finder.install()
    try:
        yield finder
    finally:
        finder.uninstall()
        _forget_test_modules()
        importlib.invalidate_caches()


@pytest.fixture
def bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let this test write .pyc files whatever PYTHONDONTWRITEBYTECODE says."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


# -- serving from a folder ----------------------------------------------------------------------------


def test_package_folder_is_imported_from_the_plugin_folder(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    root = write(tmp_path / "src", {f"{name}/__init__.py": "VALUE = 'plugin'\n"})
    importer.add("a", [name], root)

    module = importlib.import_module(name)

    assert module.VALUE == "plugin"
    assert module.__file__ == str(root / name / "__init__.py")
    assert module.__spec__ is not None
    assert module.__spec__.origin == str(root / name / "__init__.py")
    assert list(module.__path__) == [str(root / name)]


def test_single_module_is_imported_from_the_plugin_folder(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique("mod")
    root = write(tmp_path, {f"{name}.py": "VALUE = 'single'\n"})
    importer.add("a", [name], root)

    module = importlib.import_module(name)

    assert module.VALUE == "single"
    assert module.__file__ == str(root / f"{name}.py")
    assert not hasattr(module, "__path__")


def test_submodules_resolve_in_the_plugin_folder(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    root = write(
        tmp_path,
        {
            f"{name}/__init__.py": "",
            f"{name}/sub/__init__.py": "from .leaf import LEAF\n",
            f"{name}/sub/leaf.py": "LEAF = 'leaf'\n",
        },
    )
    importer.add("a", [name], root)

    sub = importlib.import_module(f"{name}.sub")
    leaf = importlib.import_module(f"{name}.sub.leaf")

    assert sub.LEAF == "leaf"
    assert leaf.__file__ == str(root / name / "sub" / "leaf.py")
    assert importer.modules("a") == (name, f"{name}.sub", f"{name}.sub.leaf")


def test_a_package_without_init_keeps_its_plugin_folder(
    importer: PluginImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique("ns")
    root = write(tmp_path / "plugin", {f"{name}/inside.py": "WHERE = 'plugin'\n"})
    importer.add("a", [name], root)
    package = importlib.import_module(name)
    # A namespace portion of the same name on sys.path must not take over the package's path.
    monkeypatch.syspath_prepend(str(write(tmp_path / "elsewhere", {f"{name}/outside.py": ""})))

    assert importlib.import_module(f"{name}.inside").WHERE == "plugin"
    assert list(package.__path__) == [str(root / name)]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"{name}.outside")


def test_tracebacks_and_source_show_the_real_file(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    root = write(
        tmp_path,
        {
            f"{name}/__init__.py": "",
            f"{name}/boom.py": """\
                def explode():
                    raise ValueError("boom")
            """,
        },
    )
    importer.add("a", [name], root)
    module = importlib.import_module(f"{name}.boom")

    with pytest.raises(ValueError, match="boom") as caught:
        module.explode()

    last = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (last.filename, last.lineno, last.name, last.line) == (
        str(root / name / "boom.py"),
        2,
        "explode",
        'raise ValueError("boom")',
    )
    assert inspect.getsource(module.explode) == 'def explode():\n    raise ValueError("boom")\n'


# -- serving from a zip archive -----------------------------------------------------------------------


def test_zip_plugin_is_imported_in_place(
    importer: PluginImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bytecode: None
) -> None:
    name, single = unique(), unique("mod")
    archive = write_zip(
        tmp_path / "bundle.zip",
        {
            "plugins/a/src/plugin.toml": "",
            f"plugins/a/src/{name}/__init__.py": "VALUE = 'zipped'\n",
            f"plugins/a/src/{name}/sub/__init__.py": "",
            f"plugins/a/src/{name}/sub/leaf.py": "def explode():\n    raise ValueError('zip boom')\n",
            f"plugins/a/src/{single}.py": "VALUE = 'single zipped'\n",
        },
    )
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    importer.add("a", [name, single], zipfile.Path(archive) / "plugins" / "a" / "src")

    package = importlib.import_module(name)
    leaf = importlib.import_module(f"{name}.sub.leaf")
    module = importlib.import_module(single)

    inside = f"{archive}/plugins/a/src"
    assert (package.VALUE, module.VALUE) == ("zipped", "single zipped")
    assert package.__file__ == f"{inside}/{name}/__init__.py"
    assert leaf.__file__ == f"{inside}/{name}/sub/leaf.py"
    assert module.__file__ == f"{inside}/{single}.py"
    assert isinstance(package.__spec__.loader, zipimport.zipimporter)
    assert isinstance(leaf.__spec__.loader, zipimport.zipimporter)
    with pytest.raises(ValueError, match="zip boom") as caught:
        leaf.explode()
    last = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (last.filename, last.line) == (leaf.__file__, "raise ValueError('zip boom')")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["bundle.zip", "temp"]


def test_a_rewritten_archive_is_read_again_on_re_add(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    archive = tmp_path / "bundle.zip"
    write_zip(archive, {f"{name}/__init__.py": "VALUE = 1\n"})
    importer.add("a", [name], zipfile.Path(archive))
    assert importlib.import_module(name).VALUE == 1
    importer.remove("a")

    write_zip(archive, {"padding.txt": "x" * 100, f"{name}/__init__.py": "VALUE = 'second version'\n"})
    importer.add("a", [name], zipfile.Path(archive))

    assert importlib.import_module(name).VALUE == "second version"


# -- which names are served ---------------------------------------------------------------------------


def test_the_plugin_wins_over_sys_path_only_for_declared_names(
    importer: PluginImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, undeclared = unique(), unique("undeclared")
    monkeypatch.syspath_prepend(
        str(
            write(
                tmp_path / "site",
                {f"{name}/__init__.py": "WHERE = 'sys.path'\n", f"{undeclared}.py": "WHERE = 'sys.path'\n"},
            )
        )
    )
    root = write(
        tmp_path / "plugin",
        {f"{name}/__init__.py": "WHERE = 'plugin'\n", f"{undeclared}.py": "WHERE = 'plugin'\n"},
    )
    importer.add("a", [name], root)

    assert importlib.import_module(name).WHERE == "plugin"
    assert importlib.import_module(undeclared).WHERE == "sys.path"


def test_an_undeclared_module_of_the_plugin_folder_is_not_importable(importer: PluginImporter, tmp_path: Path) -> None:
    name, undeclared = unique(), unique("undeclared")
    root = write(tmp_path, {f"{name}.py": "", f"{undeclared}.py": ""})
    importer.add("a", [name], root)

    with pytest.raises(ModuleNotFoundError, match=f"No module named '{undeclared}'"):
        importlib.import_module(undeclared)


def test_a_declared_package_missing_from_the_folder_does_not_fall_back_to_sys_path(
    importer: PluginImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique()
    monkeypatch.syspath_prepend(str(write(tmp_path / "site", {f"{name}.py": ""})))
    root = tmp_path / "plugin"
    root.mkdir()
    importer.add("a", [name], root)

    with pytest.raises(ModuleNotFoundError) as caught:
        importlib.import_module(name)

    assert str(caught.value) == f"No module named '{name}' in plugin 'a' ({root})"
    assert caught.value.name == name


class _Elsewhere:
    """A Traversable that is neither on disk nor in a zip archive."""

    def __repr__(self) -> str:
        return "<elsewhere>"


def test_an_unsupported_traversable_is_not_imported_from(importer: PluginImporter) -> None:
    name = unique()
    root: Any = _Elsewhere()
    importer.add("a", [name], root)

    with pytest.raises(ModuleNotFoundError) as caught:
        importlib.import_module(name)

    assert str(caught.value) == (
        f"cannot import '{name}' of plugin 'a': its folder <elsewhere> "
        "is neither a folder on disk nor a folder in a zip archive"
    )


def test_unrelated_names_are_left_to_the_other_finders(
    importer: PluginImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, other = unique(), unique("other")
    importer.add("a", [served], write(tmp_path / "plugin", {f"{served}.py": ""}))
    monkeypatch.syspath_prepend(str(write(tmp_path / "site", {f"{other}.py": "WHERE = 'sys.path'\n"})))

    assert importer.find_spec("json", None) is None
    assert importer.find_spec("json.decoder", None) is None
    assert importer.find_spec(other, None) is None
    assert importer.find_spec(f"{served}_suffix", None) is None
    module = importlib.import_module(other)
    assert module.WHERE == "sys.path"
    assert type(module.__spec__.loader) is SourceFileLoader
    assert importlib.import_module("json").loads("[1]") == [1]


def test_sys_path_is_untouched(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    before = list(sys.path)
    root = write(tmp_path, {f"{name}/__init__.py": "", f"{name}/sub.py": ""})

    importer.add("a", [name], root)
    importlib.import_module(f"{name}.sub")
    assert sys.path == before
    importer.remove("a")

    assert sys.path == before
    assert str(root) not in sys.path


# -- add: claims --------------------------------------------------------------------------------------


def test_a_package_served_for_another_plugin_cannot_be_added(importer: PluginImporter, tmp_path: Path) -> None:
    name, other = unique(), unique("other")
    importer.add("a", [name], write(tmp_path / "a", {f"{name}.py": ""}))

    with pytest.raises(PackageClaimError) as caught:
        importer.add("b", [other, name], write(tmp_path / "b", {f"{name}.py": "", f"{other}.py": ""}))

    error = caught.value
    assert str(error) == f"cannot serve package '{name}' for plugin 'b': it is already served for plugin 'a'"
    assert (error.package, error.plugin, error.owner) == (name, "b", "a")
    assert isinstance(error, ManifoldError)
    assert isinstance(error, ImportError)
    assert (importer.owner(name), importer.owner(other)) == ("a", None)
    assert importer.modules("b") == ()
    assert importer.remove("b") == ()


def test_a_package_already_imported_cannot_be_added(
    importer: PluginImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique()
    monkeypatch.setitem(sys.modules, name, types.ModuleType(name))

    with pytest.raises(PackageClaimError) as caught:
        importer.add("a", [name], tmp_path)

    assert str(caught.value) == f"cannot serve package '{name}' for plugin 'a': <module '{name}'> is already imported"
    assert caught.value.owner is None
    assert importer.owner(name) is None


def test_adding_a_plugin_again_needs_the_same_packages_and_folder(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    importer.add("a", [name], write(tmp_path, {f"{name}.py": ""}))
    importlib.import_module(name)

    importer.add("a", [name, name], tmp_path)  # the same again: nothing changes, nothing unloads
    with pytest.raises(UsageError) as other_packages:
        importer.add("a", [name, unique()], tmp_path)
    with pytest.raises(UsageError) as other_folder:
        importer.add("a", [name], tmp_path / "elsewhere")

    message = "plugin 'a' is already added with other packages or another folder; remove it first"
    assert str(other_packages.value) == str(other_folder.value) == message
    assert importer.modules("a") == (name,)
    assert importer.remove("a") == (name,)


@pytest.mark.parametrize(
    ("packages", "message"),
    [
        ("pkg", "the packages of plugin 'a' must be a list of names, not a string"),
        (["pkg.sub"], "plugin 'a': 'pkg.sub' is not a top-level module name"),
    ],
)
def test_packages_must_be_top_level_names(
    importer: PluginImporter, tmp_path: Path, packages: Any, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        importer.add("a", packages, tmp_path)

    assert str(caught.value) == message
    assert importer.owner("pkg") is None


def test_owner_and_modules(importer: PluginImporter, tmp_path: Path) -> None:
    name, other = unique(), unique("other")
    importer.add("a", [name, other], write(tmp_path, {f"{name}/__init__.py": "", f"{name}/sub.py": ""}))

    assert importer.modules("a") == ()
    importlib.import_module(f"{name}.sub")

    assert importer.owner(name) == "a"
    assert importer.owner(f"{name}.sub.deeper") == "a"
    assert importer.owner(other) == "a"
    assert importer.owner("json") is None
    assert importer.owner(f"{name}x") is None
    assert importer.modules("a") == (name, f"{name}.sub")
    assert importer.modules("nobody") == ()


# -- load ---------------------------------------------------------------------------------------------


def test_load_walks_a_nested_qualname(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    importer.add(
        "a",
        [name],
        write(
            tmp_path,
            {
                f"{name}/__init__.py": "",
                f"{name}/mod.py": """\
                    class Outer:
                        class Inner:
                            pass
                """,
            },
        ),
    )

    inner = importer.load("a", Reference.parse(f"{name}.mod:Outer.Inner"))
    module = importer.load("a", Reference.parse(f"{name}.mod"))

    assert inner.__qualname__ == "Outer.Inner"
    assert inner.__module__ == f"{name}.mod"
    assert module is sys.modules[f"{name}.mod"]


def test_load_errors_propagate_as_they_are(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    importer.add(
        "a",
        [name],
        write(tmp_path, {f"{name}/__init__.py": "PRESENT = 1\n", f"{name}/broken.py": "1 / 0\n"}),
    )

    with pytest.raises(ModuleNotFoundError) as missing_module:
        importer.load("a", Reference.parse(f"{name}.missing:Thing"))
    with pytest.raises(AttributeError, match="has no attribute 'Absent'"):
        importer.load("a", Reference.parse(f"{name}:PRESENT.Absent"))
    with pytest.raises(AttributeError, match=f"module '{name}' has no attribute 'Nope'"):
        importer.load("a", Reference.parse(f"{name}:Nope"))
    with pytest.raises(ZeroDivisionError):
        importer.load("a", Reference.parse(f"{name}.broken:Thing"))

    assert missing_module.value.name == f"{name}.missing"
    assert not isinstance(missing_module.value, ManifoldError)
    assert f"{name}.broken" not in sys.modules


def test_load_refuses_a_module_outside_the_plugin_packages(importer: PluginImporter, tmp_path: Path) -> None:
    name, theirs = unique(), unique("theirs")
    importer.add("a", [name], write(tmp_path / "a", {f"{name}.py": ""}))
    importer.add("b", [theirs], write(tmp_path / "b", {f"{theirs}.py": "X = 1\n"}))

    with pytest.raises(PackageClaimError) as other_plugin:
        importer.load("a", Reference.parse(f"{theirs}:X"))
    with pytest.raises(PackageClaimError) as no_plugin:
        importer.load("a", Reference.parse("json:loads"))

    assert str(other_plugin.value) == (
        f"{theirs}:X is not in the packages of plugin 'a' ('{theirs}' is served for plugin 'b')"
    )
    assert (other_plugin.value.package, other_plugin.value.owner) == (theirs, "b")
    assert str(no_plugin.value) == "json:loads is not in the packages of plugin 'a' ('json' is served for no plugin)"
    assert theirs not in sys.modules


def test_load_needs_the_importer_installed(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    importer.add("a", [name], write(tmp_path, {f"{name}.py": "X = 1\n"}))
    importer.uninstall()

    with pytest.raises(UsageError) as caught:
        importer.load("a", Reference.parse(f"{name}:X"))

    assert str(caught.value) == f"cannot load {name}:X of plugin 'a': the plugin importer is not installed"
    assert name not in sys.modules


# -- remove -------------------------------------------------------------------------------------------


def _import_and_watch(name: str) -> list[weakref.ref[Any]]:
    """Import the plugin and return weak references to its module, class and instance (no strong ones)."""
    module = importlib.import_module(name)
    importlib.import_module(f"{name}.sub")
    return [weakref.ref(module), weakref.ref(module.Thing), weakref.ref(module.INSTANCE)]


def test_remove_unloads_the_modules_and_lets_them_be_collected(importer: PluginImporter, tmp_path: Path) -> None:
    name, other = unique(), unique("other")
    root = write(
        tmp_path,
        {
            f"{name}/__init__.py": """\
                class Thing:
                    def __init__(self):
                        self.me = self  # a cycle: only the collector frees it

                INSTANCE = Thing()
            """,
            f"{name}/sub.py": "from . import Thing\n",
        },
    )
    importer.add("a", [name], root)
    importer.add("b", [other], write(tmp_path / "b", {f"{other}.py": ""}))
    importlib.import_module(other)
    refs = _import_and_watch(name)
    gc.collect()
    assert all(ref() is not None for ref in refs)

    removed = importer.remove("a")
    gc.collect()

    assert removed == (name, f"{name}.sub")
    assert [ref() for ref in refs] == [None, None, None]
    assert not [module for module in sys.modules if module.partition(".")[0] == name]
    assert other in sys.modules
    assert importer.owner(name) is None
    assert importer.modules("a") == ()
    assert not [entry for entry in sys.path_importer_cache if str(entry).startswith(str(root))]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)
    assert importer.remove("a") == ()


def test_remove_frees_the_packages_for_another_plugin(importer: PluginImporter, tmp_path: Path) -> None:
    name = unique()
    importer.add("a", [name], write(tmp_path / "a", {f"{name}.py": "WHO = 'a'\n"}))
    importlib.import_module(name)
    importer.remove("a")

    importer.add("b", [name], write(tmp_path / "b", {f"{name}.py": "WHO = 'b'\n"}))

    assert importlib.import_module(name).WHO == "b"


def test_re_add_after_an_edit_runs_the_new_code(importer: PluginImporter, tmp_path: Path, bytecode: None) -> None:
    name = unique()
    root = write(tmp_path, {f"{name}/__init__.py": "VALUE = 1\n", f"{name}/sub.py": "VALUE = 1\n"})
    importer.add("a", [name], root)
    assert (importlib.import_module(name).VALUE, importlib.import_module(f"{name}.sub").VALUE) == (1, 1)
    assert Path(cache_from_source(str(root / name / "sub.py"))).is_file()

    # The same size and the very same mtime: a pyc checked by mtime and size would pass as fresh.
    for file in (root / name / "__init__.py", root / name / "sub.py"):
        stat = file.stat()
        file.write_text("VALUE = 2\n", encoding="utf-8")
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    importer.remove("a")
    importer.add("a", [name], root)

    assert (importlib.import_module(name).VALUE, importlib.import_module(f"{name}.sub").VALUE) == (2, 2)


def test_bytecode_is_cached_checked_by_the_source_hash(
    importer: PluginImporter, tmp_path: Path, bytecode: None
) -> None:
    name = unique("mod")
    source = "VALUE = 'from source'\n"
    root = write(tmp_path, {f"{name}.py": source})
    importer.add("a", [name], root)
    importlib.import_module(name)
    pyc = Path(cache_from_source(str(root / f"{name}.py")))

    data = pyc.read_bytes()
    assert data[:16] == MAGIC_NUMBER + (0b11).to_bytes(4, "little") + source_hash(source.encode())

    # A pyc whose hash matches the source is used as it is (so caching still saves the compile).
    module_path = str(root / f"{name}.py")
    pyc.write_bytes(data[:16] + marshal.dumps(compile("VALUE = 'from cache'", module_path, "exec")))
    importer.remove("a")
    importer.add("a", [name], root)
    assert importlib.import_module(name).VALUE == "from cache"

    # ... unless it was made for the same source at another path (a folder moved or copied along with its
    # __pycache__): its code would name the other path in tracebacks. It is compiled again, and rewritten.
    pyc.write_bytes(data[:16] + marshal.dumps(compile("VALUE = 'elsewhere'", "/elsewhere/mod.py", "exec")))
    importer.remove("a")
    importer.add("a", [name], root)
    module = importlib.import_module(name)
    assert module.VALUE == "from source"
    assert marshal.loads(pyc.read_bytes()[16:]).co_filename == module_path


def test_a_folder_copied_with_its_bytecode_runs_code_that_names_its_own_files(tmp_path: Path, bytecode: None) -> None:
    name = unique("pkg")
    source = "def where():\n    return where.__code__.co_filename\n"
    first = write(tmp_path / "first", {f"{name}/__init__.py": source})
    importer = PluginImporter()
    importer.install()
    try:
        importer.add("a", [name], first)
        assert importlib.import_module(name).where() == str(first / name / "__init__.py")
        importer.remove("a")
        second = tmp_path / "second"
        shutil.copytree(first, second)  # the __pycache__ too: the same hash, another path
        importer.add("a", [name], second)
        assert importlib.import_module(name).where() == str(second / name / "__init__.py")
    finally:
        importer.remove("a")
        importer.uninstall()


# -- sys.meta_path ------------------------------------------------------------------------------------


def test_install_and_uninstall_are_idempotent(tmp_path: Path) -> None:
    finder, ahead = PluginImporter(), PluginImporter()
    name = unique()
    finder.add("a", [name], write(tmp_path, {f"{name}.py": ""}))
    try:
        finder.install()
        finder.install()
        assert sys.meta_path[0] is finder
        assert sum(f is finder for f in sys.meta_path) == 1

        ahead.install()
        finder.install()
        assert sys.meta_path[:2] == [finder, ahead]
        assert sum(f is finder for f in sys.meta_path) == 1

        importlib.import_module(name)
        finder.uninstall()
        finder.uninstall()
        assert not any(f is finder for f in sys.meta_path)
        assert name in sys.modules  # uninstalling does not unload
    finally:
        finder.uninstall()
        ahead.uninstall()
        _forget_test_modules()


def test_an_uninstalled_importer_serves_nothing(tmp_path: Path) -> None:
    finder = PluginImporter()
    name = unique()
    finder.add("a", [name], write(tmp_path, {f"{name}.py": ""}))

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)


# Layouts of a plugin's top-level name in its folder: the files, and whether the importer makes the spec itself
# (the ordinary cases) or leaves it to PathFinder. The spec must be PathFinder's either way.
_EXT = importlib.machinery.EXTENSION_SUFFIXES[0]
LAYOUTS = {
    "a package": ({"NAME/__init__.py": "", "NAME/sub.py": ""}, True),
    "a module": ({"NAME.py": ""}, True),
    "a package beside a module of the same name": ({"NAME/__init__.py": "", "NAME.py": ""}, True),
    "a folder without __init__ beside a module": ({"NAME/other.py": "", "NAME.py": ""}, False),
    "a namespace package": ({"NAME/other.py": ""}, False),
    "bytecode only": ({"NAME.pyc": ""}, False),
    "an extension module before the source": ({f"NAME{_EXT}": "", "NAME.py": ""}, False),
    "an extension __init__ before the source": ({f"NAME/__init__{_EXT}": "", "NAME/__init__.py": ""}, False),
    "the name in upper case": ({"UPPER/__init__.py": ""}, False),
}


def _spec_facts(spec: importlib.machinery.ModuleSpec | None) -> tuple[Any, ...] | None:
    if spec is None:
        return None
    loader = spec.loader
    return (
        spec.name,
        spec.origin,
        spec.submodule_search_locations and list(spec.submodule_search_locations),
        spec.has_location,
        spec.cached,
        type(loader).__name__,
        getattr(loader, "path", None),
        getattr(loader, "name", None),
    )


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_the_spec_of_a_top_level_name_is_pathfinders(importer: PluginImporter, tmp_path: Path, layout: str) -> None:
    files, made_directly = LAYOUTS[layout]
    name = unique()
    spelled = {path.replace("NAME", name).replace("UPPER", name.upper()): text for path, text in files.items()}
    folder = write(tmp_path / "plugin", spelled)
    importer.add("p", [name], folder)
    reference = importlib.machinery.PathFinder.find_spec(name, [str(folder)])
    sys.path_importer_cache.pop(str(folder), None)
    try:
        found = importer.find_spec(name, None)
    except ModuleNotFoundError:
        found = None
    if reference is not None and type(reference.loader) is SourceFileLoader:
        assert found is not None
        assert type(found.loader).__name__ == "HashCheckedLoader"  # the importer's only change to the spec
        assert _spec_facts(found)[:5] == _spec_facts(reference)[:5]  # type: ignore[index]
        assert (found.loader.path, found.loader.name) == (reference.loader.path, reference.loader.name)  # type: ignore[union-attr]
    else:
        assert _spec_facts(found) == _spec_facts(reference)
    assert (str(folder) not in sys.path_importer_cache) == made_directly  # PathFinder caches a finder for the folder


@pytest.mark.parametrize("prefix", [None, "pycache-prefix", "pycache-prefix/", "pycache//prefix//", "relative"])
def test_a_package_spec_names_the_bytecode_file_cache_from_source_names(
    importer: PluginImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str | None
) -> None:
    # The importer writes the name for __init__.py itself, under PYTHONPYCACHEPREFIX too (however it is spelt)
    monkeypatch.setattr(
        sys, "pycache_prefix", prefix if prefix in (None, "relative") else f"{tmp_path}{os.sep}{prefix}"
    )
    name = unique()
    folder = write(tmp_path / "plugin", {f"{name}/__init__.py": ""})
    importer.add("p", [name], folder)
    found = importer.find_spec(name, None)
    assert found is not None
    assert found.cached == importlib.util.cache_from_source(str(folder / name / "__init__.py"))
    assert (prefix is None) == (found.cached == str(folder / name / "__pycache__" / Path(found.cached).name))


def test_the_stamp_taken_as_a_package_was_found_serves_one_read_of_its_code(tmp_path: Path) -> None:
    # The stamp of __init__.py is taken as the spec is found, before the source is read; a later request
    # for the code (a tool asking the loader again) takes a stamp of its own, so it never gets stale code.
    from manifold.sources.codecache import CodeCache

    name = unique()
    init = tmp_path / "plugin" / name / "__init__.py"
    write(tmp_path / "plugin", {f"{name}/__init__.py": "VALUE = 1\n"})
    importer = PluginImporter(CodeCache(tmp_path / "cache", ["plugin"]))
    importer.install()
    try:
        importer.add("p", [name], tmp_path / "plugin")
        spec = importer.find_spec(name, None)
        assert spec is not None
        assert spec.loader is not None
        init.write_text("VALUE = 22\n")  # after the stamp, before the read: the new code runs
        first: dict[str, Any] = {}
        exec(spec.loader.get_code(name), first)  # type: ignore[attr-defined]
        assert first["VALUE"] == 22
        assert importer.take_listings("p")[name].init != _stamp(init)  # which a rescan tells from the file now
        init.write_text("VALUE = 333\n")
        again: dict[str, Any] = {}
        exec(spec.loader.get_code(name), again)  # type: ignore[attr-defined]
        assert again["VALUE"] == 333
    finally:
        importer.remove("p")
        importer.uninstall()
        _forget_test_modules()


def _stamp(path: Path) -> tuple[int, int, int, int]:
    found = path.stat()
    return found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.none() | st.text(alphabet="/ab.-", min_size=1, max_size=12),
    base=st.text(alphabet="/ab.-", max_size=16),
)
def test_the_bytecode_name_of_a_package_init_is_the_one_cache_from_source_gives(prefix: str | None, base: str) -> None:
    from manifold.bytecode import init_cached

    package = os.path.join(base, "pkg")  # as the importer makes it: a folder, then the package's name
    with mock.patch.object(sys, "pycache_prefix", prefix):
        made = init_cached(package)
        if made is not None:
            assert made == cache_from_source(os.path.join(package, "__init__.py"))
        else:
            assert prefix is not None  # under a prefix, a relative folder: importlib is asked
            assert not package.startswith("/")
