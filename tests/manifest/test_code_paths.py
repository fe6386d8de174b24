"""The checks of a plugin's code paths (``missing-path``, ``missing-package``, ``missing-module``) give the
answers of plain ``os.path`` questions asked one at a time, whatever the folder holds: packages as folders,
files, symlinks to either, broken symlinks, folders that are files, folders that cannot be read."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from manifold import Reference, validate
from manifold.manifest.rules import check_semantics

PACKAGE = "mfprobe_pkg"
OTHER = "mfprobe_other"
CODES = ("missing-path", "missing-package", "missing-module")

# How a package name may be present in a code folder.
LAYOUTS = (
    "package",  # name/__init__.py
    "folder-only",  # name/ without __init__.py
    "module",  # name.py
    "both",  # name/__init__.py and name.py
    "none",
    "link-to-package",  # name -> a folder elsewhere holding __init__.py
    "link-to-module",  # name.py -> a file elsewhere
    "broken-link",  # name -> nothing
    "init-is-folder",  # name/__init__.py/ is a folder
    "plain-file",  # a file called name, no suffix
    "unreadable-package",  # name/__init__.py in a folder of mode 000
)
SOURCE_ROOTS = ("folder", "missing", "file", "link-to-folder", "dot")
REFERENCES = ("top", "sub", "other", "none")


def _lay_out(code: Path, name: str, layout: str, elsewhere: Path) -> None:
    if layout in ("package", "both", "unreadable-package"):
        (code / name).mkdir()
        (code / name / "__init__.py").write_text("")
        (code / name / "sub.py").write_text("")
    if layout == "folder-only":
        (code / name).mkdir()
        (code / name / "sub.py").write_text("")
    if layout in ("module", "both"):
        (code / f"{name}.py").write_text("")
    if layout == "link-to-package":
        target = elsewhere / name
        target.mkdir()
        (target / "__init__.py").write_text("")
        (code / name).symlink_to(target, target_is_directory=True)
    if layout == "link-to-module":
        (elsewhere / f"{name}.py").write_text("")
        (code / f"{name}.py").symlink_to(elsewhere / f"{name}.py")
    if layout == "broken-link":
        (code / name).symlink_to(elsewhere / "nothing-here")
    if layout == "init-is-folder":
        (code / name / "__init__.py").mkdir(parents=True)
    if layout == "plain-file":
        (code / name).write_text("")
    if layout == "unreadable-package":
        (code / name).chmod(0)


def _expected(root: Path, source_root: str, packages: list[str], modules: list[str]) -> set[tuple[str, str]]:
    """What each check must find, asked of ``os.path`` one question at a time."""
    code = root if source_root == "." else root / source_root
    if not os.path.isdir(code):
        return {("missing-path", "plugin.source-root")}
    found = set()
    for i, name in enumerate(packages):
        if not (os.path.isdir(code / name) or os.path.isfile(code / f"{name}.py")):
            found.add(("missing-package", f"plugin.packages[{i}]"))
    for i, module in enumerate(modules):
        parts = module.split(".")
        if not (
            os.path.isfile(code.joinpath(*parts[:-1], f"{parts[-1]}.py"))
            or os.path.isfile(code.joinpath(*parts, "__init__.py"))
        ):
            found.add(("missing-module", f"extensions[{i}].ref"))
    return found


@given(
    layout=st.sampled_from(LAYOUTS),
    other_layout=st.sampled_from(LAYOUTS),
    source=st.sampled_from(SOURCE_ROOTS),
    references=st.lists(st.sampled_from(REFERENCES), max_size=3),
    two_packages=st.booleans(),
)
def test_code_path_checks_agree_with_os_path(
    layout: str, other_layout: str, source: str, references: list[str], two_packages: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root, elsewhere = base / "plugins" / "probe", base / "elsewhere"
        root.mkdir(parents=True)
        elsewhere.mkdir()
        source_root = "." if source == "dot" else "src"
        code = root if source == "dot" else root / "src"
        if source in ("folder", "dot"):
            code.mkdir(exist_ok=True)
        elif source == "file":
            code.write_text("")
        elif source == "link-to-folder":
            (elsewhere / "code").mkdir()
            code.symlink_to(elsewhere / "code", target_is_directory=True)
        if os.path.isdir(code):
            _lay_out(code, PACKAGE, layout, elsewhere)
            _lay_out(code, OTHER, other_layout, elsewhere)
        packages = [PACKAGE, OTHER] if two_packages else [PACKAGE]
        modules = [
            {"top": PACKAGE, "sub": f"{PACKAGE}.sub", "other": OTHER, "none": f"{PACKAGE}.none"}[ref]
            for ref in references
            if two_packages or ref != "other"
        ]
        extensions = "".join(
            f'[[extensions]]\npoint = "probe.point"\nid = "e{i}"\nref = "{module}:thing"\n'
            for i, module in enumerate(modules)
        )
        (root / "plugin.toml").write_text(
            f'[plugin]\nid = "probe"\nversion = "1.0"\nsource-root = "{source_root}"\n'
            f"packages = {packages!r}\n".replace("'", '"')
            + '\n[[extension-points]]\nid = "probe.point"\n\n'
            + extensions
        )
        try:
            report = validate([root], check_code=False, jobs=1)
            expected = _expected(root, source_root, packages, modules)
        finally:
            for path in itertools.chain([code / PACKAGE, code / OTHER]):
                if path.is_dir() and not path.is_symlink():
                    path.chmod(0o755)
        found = {(d.code, d.path) for d in report.diagnostics if d.code in CODES}
        assert found == expected, report.diagnostics


def _reference_oracle(path: tuple[str | int, ...], text: str, declared: list[str], root: Path) -> str | None:
    """The code a reference gets, from ``Reference.parse`` and ``os.path``."""
    module_alone = ":" not in text and path[0] == "extensions"
    if not module_alone and (text.count(":") != 1 or not all(text.partition(":")[::2])):
        return None
    ref = Reference.parse(text)
    if ref.top_level not in declared:
        return "reference"
    parts = ref.module.split(".")
    there = os.path.isfile(root.joinpath(*parts[:-1], f"{parts[-1]}.py")) or os.path.isfile(
        root.joinpath(*parts, "__init__.py")
    )
    return None if there else "missing-module"


@given(
    texts=st.lists(st.text(alphabet="ab.:_", max_size=7), min_size=1, max_size=4),
    declared=st.lists(st.sampled_from(["a", "b", "a_b", ""]), max_size=3, unique=True),
)
def test_reference_checks_agree_with_reference_parse(texts: list[str], declared: list[str]) -> None:
    paths: list[tuple[str | int, ...]] = [
        ("plugin", "class"),
        *(("extensions", i, "ref") for i in range(len(texts) - 1)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("a", "b", "a_b"):  # some of the modules a reference here can name
            for module in ((), ("a",), ("a", "b")):
                folder = root.joinpath(name, *module)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "__init__.py").write_text("")
        (root / "b" / "b.py").write_text("")
        data = {
            "plugin": {"id": "probe", "version": "1", "packages": declared, "class": texts[0]},
            "extensions": [{"point": "p", "ref": text} for text in texts[1:]],
        }
        problems = check_semantics(data, root)
        expected = {
            (path, code)
            for path, text in zip(paths, texts, strict=True)
            if (code := _reference_oracle(path, text, declared, root))
        }
    found = {(p.path, p.code) for p in problems if p.code in ("reference", "missing-module")}
    assert found == expected
