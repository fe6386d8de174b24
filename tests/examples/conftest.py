"""Shared by the example tests: the output an example's README shows for one command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def readme_output(example: Path, command: str) -> list[str]:
    """The lines the README of ``example`` shows after ``$ command`` (up to the next command or the block's end),
    stdout and stderr as the terminal interleaves them."""
    text = (example / "README.md").read_text(encoding="utf-8")
    after = text.split(f"\n$ {command}\n", 1)[1]
    lines: list[str] = []
    for line in after.splitlines():
        if line.startswith(("$ ", "```")):
            break
        lines.append(line)
    return lines


@pytest.fixture(name="readme_output")
def _readme_output() -> Callable[[Path, str], list[str]]:
    return readme_output
