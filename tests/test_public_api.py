"""The public surface: stated once in ``manifold.__all__``, documented in the README, the rest private."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

import manifold
from manifold import DIAGNOSTIC_CODES, REASON_CODES, DiagnosticCode, ReasonCode

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PUBLIC_MODULES = {"manifold", "manifold.pluggy", "manifold.testing", "manifold.cli", "manifold.__main__"}
SUBPACKAGES = {"manifest", "sources", "graph", "hooks", "lifecycle", "tools"}


def _documented() -> list[str]:
    block = README.split("<!-- public-api -->", 1)[1].split("<!-- /public-api -->", 1)[0]
    return re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", block)


def test_the_readme_lists_exactly_the_public_names() -> None:
    documented = _documented()
    assert len(documented) == len(set(documented)), "a name is listed twice"
    assert sorted(documented) == sorted(manifold.__all__)


def test_dir_lists_the_public_names_and_every_one_imports() -> None:
    assert dir(manifold) == sorted([*manifold.__all__, "__version__"])
    for name in manifold.__all__:
        assert getattr(manifold, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'manifold' has no attribute 'find_manifests'"):
        manifold.find_manifests  # noqa: B018


def test_every_subpackage_says_it_is_internal() -> None:
    for sub in sorted(SUBPACKAGES):
        doc = importlib.import_module(f"manifold.{sub}").__doc__ or ""
        assert "Internal" in doc, sub


def test_the_readme_and_examples_import_only_public_names() -> None:
    texts = [README, *(p.read_text(encoding="utf-8") for p in (ROOT / "examples").rglob("*.py"))]
    private = sorted(
        {
            m
            for text in texts
            for m in re.findall(r"\b(?:from|import) (manifold\.[a-z_.]+)", text)
            if m not in PUBLIC_MODULES
        }
    )
    assert private == []


def test_import_manifold_imports_no_module_of_its_own() -> None:
    code = "import sys, manifold; print(sorted(m for m in sys.modules if m.startswith('manifold.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- codes -------------------------------------------------------------------------------------------


def _table(header: str) -> list[list[str]]:
    block = README.split(header, 1)[1].split("\n\n", 1)[0]
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.splitlines()[1:]]


def test_the_readme_table_of_diagnostic_codes_is_the_library_list() -> None:
    rows = _table("| code | severity | what is wrong |\n|---|---|---|")
    expected = [[f"`{code}`", severity, words] for code, (severity, words) in DIAGNOSTIC_CODES.items()]
    assert rows == expected
    assert list(DIAGNOSTIC_CODES) == list(get_args(DiagnosticCode))


def test_the_readme_table_of_reason_codes_is_the_library_list() -> None:
    rows = _table("| reason | state | why |\n|---|---|---|")
    expected = [[", ".join(f"`{c}`" for c in codes), state, why] for codes, (state, why) in REASON_CODES.items()]
    assert rows == expected
    listed = [code for codes in REASON_CODES for code in codes]
    assert listed == list(get_args(ReasonCode))


def test_no_module_spells_a_code_outside_the_typed_places() -> None:
    """Every code written in the library is checked against the Literal by mypy: it is passed where a
    DiagnosticCode or ReasonCode is expected. Here: a module's own set of codes is typed with them too."""
    own_lists = []
    for path in (ROOT / "src" / "manifold").rglob("*.py"):
        if "_compiled" in path.parts or path.name == "codes.py":
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^([A-Z_]*CODES)\b(.*)$", text, re.MULTILINE):
            if not re.match(r"\s*:\s*\w+\[(DiagnosticCode|ReasonCode|ArchiveCode)", match[2]):
                own_lists.append(f"{path.name}: {match[1]}")
    assert own_lists == []


def test_tests_take_public_names_from_manifold() -> None:
    """A test may reach into a private module for a private helper it tests, never for a public name."""
    import ast

    public = set(manifold.__all__)
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("manifold."):
                if node.module in PUBLIC_MODULES:
                    continue
                found += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name in public]
    assert found == []
