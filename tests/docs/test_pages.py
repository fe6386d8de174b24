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
