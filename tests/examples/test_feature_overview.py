"""The feature overview of the host guide (docs/hosts.md): every test it names exists, every example it names
is a folder of examples/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {"env-setup", "task-hooks", "formatters", "app-platform"}


def overview_rows() -> list[list[str]]:
    page = (ROOT / "docs" / "hosts.md").read_text(encoding="utf-8")
    table = page.split("<!-- feature-overview -->\n", 1)[1].split("<!-- /feature-overview -->", 1)[0]
    lines = table.strip().splitlines()
    assert lines[:2] == ["| behaviour | example | test |", "|---|---|---|"]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[2:]]


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }


def test_every_row_names_an_existing_test_or_says_what_is_missing() -> None:
    rows = overview_rows()
    assert len(rows) >= 30
    missing = []
    for behaviour, _example, tests in rows:
        assert behaviour, tests
        named = re.findall(r"`(tests/[^`:]+\.py)::(\w+)`", tests)
        if not named:
            assert tests.startswith("not yet: "), f"{behaviour}: no test named"
        assert len(named) == tests.count("::"), f"{behaviour}: a test not written as `tests/file.py::name`"
        for file, name in named:
            path = ROOT / file
            if not path.is_file() or name not in defined_tests(path):
                missing.append(f"{file}::{name}")
    assert missing == []


def test_every_example_named_is_one_of_the_four() -> None:
    for behaviour, example, _ in overview_rows():
        names = {name.strip() for name in example.split(",") if name.strip()}
        if names == {"all four"}:
            continue
        assert names <= EXAMPLES, behaviour
        assert all((ROOT / "examples" / name / "README.md").is_file() for name in names)
