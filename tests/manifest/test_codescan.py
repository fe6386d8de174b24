"""The code scan's shortcut for finding import statements finds exactly what a full walk of the tree finds."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from manifold.manifest.codescan import _import_lines, _import_statements

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(ast.__file__).parent
FILES = sorted(ROOT.glob("src/**/*.py")) + sorted(ROOT.glob("tests/**/*.py")) + sorted(STDLIB.glob("*.py"))[:150]

NESTED = b'''
"""import in a docstring"""
import a
if x:
    from b import c
else:
    try:
        import d
    except E:
        import e
    finally:
        from . import f
def g():
    class H:
        def i(self):
            with j:
                import k
    async def l():
        async for m in n:
            import o
        async with p:
            import q
match r:
    case 1:
        import s
x = "import t"  # a string, not a statement
y = (
    1
); import u
from v \\
    import w
'''


def walked(tree: ast.Module) -> list[tuple[int, int]]:
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    return sorted((n.lineno, n.col_offset) for n in nodes)


def found(tree: ast.Module, source: bytes) -> list[tuple[int, int]]:
    return sorted((n.lineno, n.col_offset) for n in _import_statements(tree.body, _import_lines(source)))


def test_every_kind_of_block_and_line() -> None:
    tree = ast.parse(NESTED)
    assert found(tree, NESTED) == walked(tree)
    assert len(walked(tree)) == 11  # a, b, d, e, ., k, o, q, s, u, v: not the two in strings


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_real_files(path: Path) -> None:
    source = path.read_bytes()
    try:
        tree = ast.parse(source)
    except SyntaxError:  # pragma: no cover - a file of another Python version
        pytest.skip(f"not Python {sys.version_info[:2]} syntax")
    assert found(tree, source) == walked(tree)
