"""Read plugins' Python files with ``ast`` (never importing them): referenced names and undeclared imports."""

from __future__ import annotations

import ast
import os
import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from manifold.diagnostics import Diagnostic, Problem
from manifold.locate import format_path
from manifold.manifest import Manifest, Reference
from manifold.parse import ParsedFile

__all__ = ["scan_code"]


@dataclass(frozen=True, slots=True)
class _Module:
    file: str
    tree: ast.Module | None


def scan_code(files: Sequence[ParsedFile]) -> list[Diagnostic]:
    """Problems found in the code of the valid manifests among ``files``."""
    manifests = [p.manifest for p in files if p.manifest is not None]
    owner = {package: m for m in manifests for package in m.packages}
    diagnostics: list[Diagnostic] = []
    for parsed in files:
        manifest = parsed.manifest
        if manifest is None:
            continue
        folder = parsed.plugin_folder
        trees = dict(_package_trees(manifest, folder, diagnostics))  # each file parsed once
        problems = []
        for key, ref in manifest.references:
            module = _module(manifest, folder, ref.module, trees)
            if module is not None and module.tree is not None:
                problems += _reference_problems(key, ref, module)
        diagnostics += parsed.place(problems)
        for file, tree in trees.items():
            diagnostics += _undeclared_imports(manifest, file, tree, owner)
    return diagnostics


def _display(manifest: Manifest, folder: str, relative: str) -> str:
    """The name in messages of a file of the plugin whose folder is named ``folder``."""
    return posixpath.normpath(posixpath.join(folder, manifest.source_root, relative))


def _parse(source: Traversable, display: str, plugin: str, sink: list[Diagnostic]) -> ast.Module | None:
    try:
        return ast.parse(source.read_bytes(), filename=display)
    except SyntaxError as e:
        sink.append(
            Diagnostic(
                "error",
                "python-syntax",
                f"invalid Python: {e.msg}",
                display,
                e.lineno,
                e.offset,
                None,
                plugin,
            )
        )
    except (OSError, ValueError) as e:
        sink.append(
            Diagnostic(
                "error",
                "read-error",
                f"cannot read the module: {e}",
                display,
                None,
                None,
                None,
                plugin,
            )
        )
    return None


def _module(manifest: Manifest, folder: str, name: str, trees: dict[str, ast.Module]) -> _Module | None:
    """The parsed module ``name`` among the plugin's files (``a/b.py`` or ``a/b/__init__.py``)."""
    relative = name.replace(".", "/")
    for display in (
        _display(manifest, folder, f"{relative}.py"),
        _display(manifest, folder, f"{relative}/__init__.py"),
    ):
        if display in trees:
            return _Module(display, trees[display])
    return None  # missing, or unparsable: reported by the manifest's own checks or by _parse


def _reference_problems(key: str, ref: Reference, module: _Module) -> list[Problem]:
    assert module.tree is not None
    scope: Sequence[ast.stmt] = module.tree.body
    path = _key_path(key)
    for depth, part in enumerate(ref.qualname.split(".")):
        names = _bound_names(scope)
        if names is None:
            return []  # a star import or a module __getattr__: the name may exist
        node = names.get(part)
        if node is None:
            where = "at the top level of" if depth == 0 else f"in class {'.'.join(ref.qualname.split('.')[:depth])} of"
            return [
                Problem(
                    "missing-object",
                    path,
                    f"{format_path(path)}: {part} is not defined {where} {ref.module} ({module.file})",
                )
            ]
        if not isinstance(node, ast.ClassDef):
            return []  # attributes of other objects cannot be known without running the code
        scope = node.body
    return []


def _key_path(key: str) -> tuple[str | int, ...]:
    path: list[str | int] = []
    for part in key.split("."):
        name, _, index = part.partition("[")
        path.append(name)
        if index:
            path.append(int(index.rstrip("]")))
    return tuple(path)


def _bound_names(body: Sequence[ast.stmt]) -> dict[str, ast.stmt] | None:
    names: dict[str, ast.stmt] = {}
    for node in _flatten(body):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.setdefault(node.name, node)
            if node.name == "__getattr__":
                return None
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names.setdefault(name.id, node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.setdefault(alias.asname or alias.name.partition(".")[0], node)
    return names


def _flatten(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a scope, looking into ``if``/``try``/``with`` blocks that bind names there too."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.For | ast.While | ast.With):
            yield from _flatten(node.body)
            yield from _flatten(getattr(node, "orelse", []))
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _flatten(block)


def _statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones too (imports are statements: expressions need no visit)."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list):
                yield from _statements(block)
        for handler in getattr(node, "handlers", ()):
            yield from _statements(handler.body)
        for case in getattr(node, "cases", ()):
            yield from _statements(case.body)


def _package_trees(manifest: Manifest, folder: str, sink: list[Diagnostic]) -> Iterator[tuple[str, ast.Module]]:
    for package in manifest.packages:
        root = manifest.code_root
        if (root / f"{package}.py").is_file():
            sources = [(f"{package}.py", root / f"{package}.py")]
        else:
            sources = sorted(_python_files(root / package, package), key=lambda item: item[0])
        for relative, source in sources:
            display = _display(manifest, folder, relative)
            tree = _parse(source, display, manifest.id, sink)
            if tree is not None:
                yield display, tree


def _python_files(folder: Traversable, relative: str) -> Iterator[tuple[str, Traversable]]:
    if isinstance(folder, Path):  # a real folder: one scandir per folder, no stat per entry
        yield from _scan_files(folder, relative)
        return
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _python_files(entry, f"{relative}/{entry.name}")
        elif entry.name.endswith(".py"):
            yield f"{relative}/{entry.name}", entry


def _scan_files(folder: Path, relative: str) -> Iterator[tuple[str, Traversable]]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _scan_files(Path(entry.path), f"{relative}/{entry.name}")
        elif entry.name.endswith(".py"):
            yield f"{relative}/{entry.name}", Path(entry.path)


def _undeclared_imports(
    manifest: Manifest, file: str, tree: ast.Module, owner: dict[str, Manifest]
) -> Iterator[Diagnostic]:
    declared = set(manifest.dependencies) | set(manifest.optional_dependencies) | {manifest.id}
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            other = owner.get(module.partition(".")[0])
            if other is None or other.id in declared:
                continue
            yield Diagnostic(
                "warning",
                "undeclared-import",
                f"imports {module} from plugin {other.id}, which {manifest.id} does not declare as a "
                f'dependency; add "{other.id}" to [dependencies] (or [optional-dependencies])',
                file,
                node.lineno,
                node.col_offset + 1,
                None,
                manifest.id,
            )
