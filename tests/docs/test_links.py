"""Links in README.md and the docs pages: every relative link reaches a file, every ``#anchor`` a heading.

Anchors are the ids MkDocs gives headings: an attr_list ``{ #id }``, else Python-Markdown's toc slugify (the
heading's text, inline markup dropped, accents folded, punctuation dropped, lower-case, runs of spaces and dashes
to one ``-``).
Links from the docs to files of the repository outside docs/ are GitHub URLs (MkDocs builds only docs/);
those are checked against this tree too."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Generated from the schemas, the parser, the docstrings and codes.py when the site is built.
GENERATED = {DOCS / "reference" / name for name in ("manifest.md", "cli.md", "api.md", "codes.md")}
REPOSITORY = "https://github.com/manifold-plugins/manifold/"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def links(page: Path) -> list[str]:
    """The targets of the page's inline links and images, in order."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"^( *)(```|~~~).*?^\1\2[ \t]*$", "", text, flags=re.M | re.S)
    text = re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", lambda m: "c" * len(m[0]) if "](" in m[0] else m[0], text)
    return re.findall(r"\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)", text)


def slugify(value: str) -> str:
    """Python-Markdown's toc slugify, which MkDocs uses for heading ids."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def anchors(page: Path) -> set[str]:
    """The ids of the page's headings: an attr_list id (``{ #id }``) as written, else the slug, numbered as
    Python-Markdown numbers repeats (``x``, ``x_1``)."""
    text = re.sub(r"^( *)(```|~~~).*?^\1\2[ \t]*$", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M):
        explicit = re.search(r"\{[^}]*#([\w-]+)[^}]*\}$", heading)  # attr_list: ## Title { #id }
        if explicit:
            found.add(explicit[1])
            continue
        words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
        words = re.sub(r"[`*]", "", words)
        slug = slugify(words)
        unique, n = slug, 0
        while unique in found:
            n += 1
            unique = f"{slug}_{n}"
        found.add(unique)
    return found


def check(page: Path, target: str) -> str | None:
    """What is wrong with the link ``target`` of ``page``, or None."""
    if target.startswith(REPOSITORY):
        match = re.fullmatch(r"(?:blob|tree)/main/([^#?]+)(#.*)?", target[len(REPOSITORY) :])
        if not match:
            return "a link into the repository names a path on main: blob/main/PATH or tree/main/PATH"
        return None if (ROOT / match[1]).exists() else f"{match[1]} is not in the repository"
    if re.match(r"[a-z][a-z0-9+.-]*:", target):  # another site, mailto:
        return None
    path, _, anchor = target.partition("#")
    file = (page.parent / path).resolve() if path else page
    if page.is_relative_to(DOCS):
        if not file.is_relative_to(DOCS):
            return "the site holds docs/ only: link to a file outside it by its GitHub URL"
        if file.suffix not in (".md", ".svg"):
            return "a page links to pages (.md) and shows pictures (.svg)"
    if not file.exists() and file not in GENERATED:
        return f"{path} does not exist"
    if anchor and file.exists() and file.suffix == ".md" and anchor not in anchors(file):
        return f"no heading of {file.relative_to(ROOT)} has the id {anchor!r}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_reaches_its_target(page: Path) -> None:
    problems = [f"{target}: {problem}" for target in links(page) if (problem := check(page, target))]
    assert problems == []


GUIDES = ["index", "getting-started", "concepts", "hosts", "hooks", "authors", "packagers", "configuration"]
GUIDES += ["security", "performance", "design"]


def test_the_readme_links_to_every_page() -> None:
    pages = {DOCS / f"{name}.md" for name in GUIDES} | GENERATED
    assert all(page.is_file() for page in pages - GENERATED)
    from_readme = {(ROOT / t.partition("#")[0]).resolve() for t in links(ROOT / "README.md") if "://" not in t}
    assert pages <= from_readme


def test_slugs_are_those_of_mkdocs() -> None:
    assert slugify("Hosts that keep pluggy: the bridge") == "hosts-that-keep-pluggy-the-bridge"
    assert slugify("Examples: plugin systems people run today, rebuilt") == (
        "examples-plugin-systems-people-run-today-rebuilt"
    )
    assert slugify("tombi: the VS Code extension and the command line") == (
        "tombi-the-vs-code-extension-and-the-command-line"
    )
    assert slugify("Start-up, loading and memory") == "start-up-loading-and-memory"
    assert "validate" in anchors(DOCS / "reference" / "cli.md")  # ### `manifold validate` { #validate }


def test_a_broken_link_and_a_missing_anchor_are_found() -> None:
    page = DOCS / "concepts.md"
    assert check(page, "nowhere.md") == "nowhere.md does not exist"
    assert check(page, "hooks.md#no-such-heading") == "no heading of docs/hooks.md has the id 'no-such-heading'"
    assert check(page, "#sources") is None
    assert check(page, "../README.md") == "the site holds docs/ only: link to a file outside it by its GitHub URL"
    assert check(page, "reference/codes.md") is None
    assert check(page, REPOSITORY + "blob/main/examples/nowhere.py") == "examples/nowhere.py is not in the repository"
