"""The guide pages under docs/: the graph the concepts page draws is the one ``manifold graph`` prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MANIFOLD = Path(sys.executable).parent / "manifold"
COMMAND = ["manifold", "graph", "examples/plugins", "--format", "mermaid"]


def test_the_concepts_graph_is_what_manifold_graph_prints() -> None:
    page = (DOCS / "concepts.md").read_text(encoding="utf-8")
    (drawn,) = re.findall(r"^```mermaid\n(.*?)^```", page, re.M | re.S)
    assert f"`{' '.join(COMMAND)}`" in page  # the page says where the text comes from
    done = subprocess.run([MANIFOLD, *COMMAND[1:]], cwd=ROOT, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert drawn == done.stdout


def test_the_graph_shows_a_dependency_and_an_optional_one() -> None:
    page = (DOCS / "concepts.md").read_text(encoding="utf-8")
    (drawn,) = re.findall(r"^```mermaid\n(.*?)^```", page, re.M | re.S)
    assert " --> " in drawn  # a dependency
    assert " -.-> " in drawn  # an optional dependency, dashed


def test_the_first_host_shown_is_examples_host_py() -> None:
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    shown = page.split("This is [`examples/host.py`]", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    source = (ROOT / "examples" / "host.py").read_text(encoding="utf-8")
    assert shown == source.split('"""\n\n', 1)[1]  # the file without its docstring


def test_the_pages_import_only_public_modules() -> None:
    """What a page shows a user to import is public: ``manifold`` and the modules it names as public."""
    public = {"manifold", "manifold.pluggy", "manifold.testing", "manifold.cli", "manifold.__main__"}
    imported = {
        (page.name, module)
        for page in sorted(DOCS.glob("*.md"))
        for module in re.findall(r"\b(?:from|import) (manifold(?:\.[a-z_.]+)?)\b", page.read_text(encoding="utf-8"))
    }
    assert {module for _, module in imported} >= {"manifold", "manifold.pluggy"}
    assert sorted(pair for pair in imported if pair[1] not in public) == []
