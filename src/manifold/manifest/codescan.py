"""Read plugins' Python files with ``ast`` (never importing them): referenced names and undeclared imports."""

from __future__ import annotations

import ast
import bisect
import os
import posixpath
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manifold._values import value_type
from manifold.manifest.diagnostics import Diagnostic, Problem
from manifold.manifest.locate import format_path
from manifold.manifest.model import Manifest, Reference
from manifold.manifest.parsed import ParsedFile

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # importlib.resources imports tempfile, zipfile...

__all__ = ["CodeScan", "ImportSite", "scan_plugin", "undeclared_imports"]


@value_type
class _Module:
    file: str
    tree: ast.Module | None


@value_type
class ImportSite:
    """An absolute import in a plugin's file: the module it names, and where."""

    file: str
    module: str
    line: int
    column: int


@value_type
class CodeScan:
    """What reading one plugin's Python files found: its own problems, and its imports.

    Whether an import is of another plugin's package is known only with every manifest at hand
    (``undeclared_imports``), so the scan of one plugin needs nothing but that plugin.
    """

    diagnostics: tuple[Diagnostic, ...] = ()
    imports: tuple[ImportSite, ...] = ()
    required: tuple[tuple[int, tuple[str, ...]], ...] = ()
    """Per extension (by index) whose ``ref`` names a plain top-level function: the parameters it
    cannot do without (no default), which a hook point must declare."""

    def to_wire(self) -> tuple[Any, ...]:
        """This scan as ``marshal`` stores it, for ``from_wire`` in another process."""
        imports = tuple((i.file, i.module, i.line, i.column) for i in self.imports)
        return tuple(d.fields() for d in self.diagnostics), imports, self.required

    @classmethod
    def from_wire(cls, wire: tuple[Any, ...]) -> CodeScan:
        """The scan ``to_wire`` gave."""
        diagnostics, imports, required = wire
        return cls(
            tuple(Diagnostic(*fields) for fields in diagnostics),
            tuple(ImportSite(*site) for site in imports),
            tuple((index, tuple(names)) for index, names in required),
        )


def scan_plugin(parsed: ParsedFile) -> CodeScan:
    """Read the Python files of the plugin of ``parsed`` (when its manifest is valid): names it references
    that its modules do not define, files that do not parse, and every absolute import."""
    manifest = parsed.manifest
    if manifest is None or manifest.distribution is not None:  # an installed distribution's code is not here
        return CodeScan()
    base = posixpath.normpath(posixpath.join(parsed.plugin_folder, manifest.source_root))  # the code's folder
    diagnostics: list[Diagnostic] = []
    files = {file: (tree, lines) for file, tree, lines in _package_trees(manifest, base, diagnostics)}
    trees = {file: tree for file, (tree, _) in files.items()}  # each file parsed once
    scopes: dict[int, dict[str, ast.stmt] | None] = {}  # the names bound in each scope, found once
    problems = []
    for key, ref in manifest.references:
        module = _module(base, ref.module, trees)
        if module is not None and module.tree is not None and ref.qualname:  # a module alone: found above
            problems += _reference_problems(key, ref, module, scopes)
    diagnostics += parsed.place(problems)
    imports = tuple(site for file, (tree, lines) in files.items() for site in _imports(file, tree, lines))
    required = []
    for ext in manifest.extensions:
        module = _module(base, ext.ref.module, trees) if ext.ref is not None else None
        if ext.ref is not None and module is not None and module.tree is not None:
            names = _required_parameters(ext.ref, module.tree, scopes)
            if names is not None:
                required.append((ext.index, names))
    return CodeScan(tuple(diagnostics), imports, tuple(required))


def _required_parameters(
    ref: Reference, tree: ast.Module, scopes: dict[int, dict[str, ast.stmt] | None]
) -> tuple[str, ...] | None:
    """The parameters without a default of the function ``ref`` names, when it is a plain ``def`` (no
    decorator) at the top level of its module; None when the scan cannot know its signature."""
    if "." in ref.qualname:
        return None  # a method: bound or not, static or not, is known only at run time
    if id(tree.body) not in scopes:
        scopes[id(tree.body)] = _bound_names(tree.body)
    names = scopes[id(tree.body)]
    node = names.get(ref.qualname) if names is not None else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.decorator_list:
        return None
    if sum(ref.qualname in _names_bound_by(statement) for statement in _flatten(tree.body)) != 1:
        return None  # bound again (wrapped, replaced, or defined in two branches): not known
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    with_default = positional[len(positional) - len(args.defaults) :]
    required = [a.arg for a in positional if a not in with_default]
    required += [a.arg for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True) if default is None]
    return tuple(required)


def undeclared_imports(scans: Sequence[tuple[ParsedFile, CodeScan]]) -> list[Diagnostic]:
    """Imports of another plugin's package by a plugin that does not declare a dependency on it."""
    manifests = [parsed.manifest for parsed, _ in scans if parsed.manifest is not None]
    owner = {package: m for m in manifests for package in m.packages}
    diagnostics = []
    for parsed, scan in scans:
        manifest = parsed.manifest
        if manifest is None or not scan.imports:
            continue
        declared = set(manifest.dependencies) | set(manifest.optional_dependencies) | {manifest.id}
        for site in scan.imports:
            other = owner.get(site.module.partition(".")[0])
            if other is None or other.id in declared:
                continue
            diagnostics.append(
                Diagnostic(
                    "warning",
                    "undeclared-import",
                    f"imports {site.module} from plugin {other.id}, which {manifest.id} does not declare as a "
                    f'dependency; add "{other.id}" to [dependencies] (or [optional-dependencies])',
                    site.file,
                    site.line,
                    site.column,
                    None,
                    manifest.id,
                )
            )
    return diagnostics


def _display(base: str, relative: str) -> str:
    """The name in messages of the file at ``relative`` (a module path: no ``..``) in the code folder ``base``."""
    return relative if base == "." else f"{base}/{relative}"


def _parse(source: Traversable, display: str, plugin: str, sink: list[Diagnostic]) -> tuple[ast.Module, bytes] | None:
    try:
        text = source.read_bytes()
        return ast.parse(text, filename=display), text
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


def _module(base: str, name: str, trees: dict[str, ast.Module]) -> _Module | None:
    """The parsed module ``name`` among the plugin's files (``a/b.py`` or ``a/b/__init__.py``)."""
    relative = name.replace(".", "/")
    for display in (_display(base, f"{relative}.py"), _display(base, f"{relative}/__init__.py")):
        if display in trees:
            return _Module(display, trees[display])
    return None  # missing, or unparsable: reported by the manifest's own checks or by _parse


def _reference_problems(
    key: str, ref: Reference, module: _Module, scopes: dict[int, dict[str, ast.stmt] | None]
) -> list[Problem]:
    assert module.tree is not None
    scope: Sequence[ast.stmt] = module.tree.body
    path = _key_path(key)
    for depth, part in enumerate(ref.qualname.split(".")):
        if id(scope) not in scopes:
            scopes[id(scope)] = _bound_names(scope)
        names = scopes[id(scope)]
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


def _names_bound_by(node: ast.stmt) -> set[str]:
    """The names one statement of a scope binds (as ``_bound_names`` counts them)."""
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name)}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {alias.asname or alias.name.partition(".")[0] for alias in node.names}
    return set()


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


# Statements that hold blocks of statements, and the fields that hold them.
_BLOCKS: dict[type[ast.stmt], tuple[str, ...]] = {
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "orelse", "finalbody"),
    ast.TryStar: ("body", "orelse", "finalbody"),
}


def _import_statements(body: list[ast.stmt], lines: Sequence[int]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, nested ones too, looking only into blocks that span one of ``lines``
    (the lines where the word ``import`` is written: an import statement has it on one of its lines)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        kind = type(node)
        if kind not in _BLOCKS and kind is not ast.Match:
            continue
        end = node.end_lineno or node.lineno
        if bisect.bisect_left(lines, node.lineno) == bisect.bisect_right(lines, end):
            continue  # no line of this block names "import"
        blocks: list[list[ast.stmt]] = [getattr(node, name) for name in _BLOCKS.get(kind, ())]
        blocks += [handler.body for handler in getattr(node, "handlers", ())]
        blocks += [case.body for case in getattr(node, "cases", ())]
        for block in reversed(blocks):
            stack.extend(reversed(block))


def _import_lines(text: bytes) -> list[int]:
    """The (1-based) numbers of the lines on which ``import`` is written."""
    lines: list[int] = []
    line, last = 1, 0
    for match in _IMPORT_WORD.finditer(text):
        line += text.count(b"\n", last, match.start())
        last = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


_IMPORT_WORD = re.compile(rb"import")


def _package_trees(
    manifest: Manifest, base: str, sink: list[Diagnostic]
) -> Iterator[tuple[str, ast.Module, list[int]]]:
    for package in manifest.packages:
        root = manifest.code_root
        if (root / f"{package}.py").is_file():
            sources = [(f"{package}.py", root / f"{package}.py")]
        else:
            sources = sorted(_python_files(root / package, package), key=lambda item: item[0])
        for relative, source in sources:
            display = _display(base, relative)
            read = _parse(source, display, manifest.id, sink)
            if read is not None:
                yield display, read[0], _import_lines(read[1])


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


def _imports(file: str, tree: ast.Module, lines: list[int]) -> Iterator[ImportSite]:
    for node in _import_statements(tree.body, lines):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportSite(file, alias.name, node.lineno, node.col_offset + 1)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield ImportSite(file, node.module, node.lineno, node.col_offset + 1)
