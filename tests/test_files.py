"""write_atomic: the old content or the new, never a part; a failure leaves no temporary file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from manifold._files import write_atomic


def test_writes_bytes_and_text_and_replaces_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    write_atomic(target, b"\x00first")
    assert target.read_bytes() == b"\x00first"
    write_atomic(target, "zweite Fassung: ä\n", encoding="utf-8")
    assert target.read_bytes() == "zweite Fassung: ä\n".replace("\n", os.linesep).encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_gives_the_file_its_mode(tmp_path: Path) -> None:
    write_atomic(tmp_path / "public", b"x")
    write_atomic(tmp_path / "private", b"x", mode=0o600)
    assert stat.S_IMODE((tmp_path / "public").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600


def test_creates_the_parent_folders_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    with pytest.raises(FileNotFoundError):
        write_atomic(target, "x")
    assert list(tmp_path.iterdir()) == []
    write_atomic(target, "x", parents=True)
    assert target.read_text() == "x"


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failure_mid_write_leaves_the_old_content_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("the old content")

    def fail(fd: int) -> None:
        assert os.path.getsize(next(p for p in tmp_path.iterdir() if p.name.endswith(".tmp"))) > 0  # half-written
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(type(failure)):
        write_atomic(target, "the new content, never seen")
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert target.read_text() == "the old content"


def test_a_check_sees_the_written_file_and_can_refuse_it(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("the old content")
    seen: list[tuple[str, bool]] = []

    def refuse(temporary: Path) -> None:
        seen.append((temporary.read_text(), temporary.parent == tmp_path and temporary.name.startswith(".out.txt.")))
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        write_atomic(target, "new", check=refuse)
    assert seen == [("new", True)]
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert target.read_text() == "the old content"
    write_atomic(target, "new", check=lambda temporary: seen.append((temporary.read_text(), True)))
    assert target.read_text() == "new"
