"""The reference pages of the documentation site are generated (docs/gen.py) and committed: they must be fresh."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GEN = ROOT / "docs" / "gen.py"
PAGES = ("manifest.md", "cli.md", "api.md", "codes.md")


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_gen", GEN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_pages_are_what_the_generator_writes() -> None:
    done = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr


def test_the_generator_writes_the_same_pages_twice() -> None:
    gen = _gen()
    for name, build in gen.PAGES.items():
        assert build() == build(), name
    assert sorted(gen.PAGES) == sorted(PAGES)


def test_check_names_a_hand_edited_page_and_its_first_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = _gen()
    reference = tmp_path / "reference"
    shutil.copytree(ROOT / "docs" / "reference", reference)
    page = reference / "codes.md"
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("| `encoding` |"))
    lines[number - 1] = "| `encoding` | error | the file is not ASCII |\n"
    page.write_text("".join(lines), encoding="utf-8")
    (reference / "cli.md").unlink()
    monkeypatch.setattr(gen, "REFERENCE", reference)

    assert gen.main(["--check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "docs/reference/cli.md is stale: missing",
        f"docs/reference/codes.md is stale: line {number} is '| `encoding` | error | the file is not ASCII |',"
        " would be '| `encoding` | error | the file is not UTF-8 |'",
        "run `python docs/gen.py` to write them",
    ]
    assert not (reference / "cli.md").exists()  # --check writes nothing

    assert gen.main([]) == 0
    assert capsys.readouterr().out.splitlines() == ["wrote docs/reference/cli.md", "wrote docs/reference/codes.md"]
    assert gen.main(["--check"]) == 0


def test_every_page_of_the_site_is_in_the_nav_and_on_disk() -> None:
    nav = [
        line.split(": ", 1)[1]
        for line in (ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("- ") and line.rstrip().endswith(".md")
    ]
    on_disk = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(nav) == on_disk
    assert [p for p in nav if p.startswith("reference/")] == [f"reference/{name}" for name in PAGES]
