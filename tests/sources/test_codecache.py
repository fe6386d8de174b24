"""The code cache: a warm start imports plugin code from one file, a change invalidates exactly its entry,
damage is harmless, and plugin code behaves as if imported from its files."""

from __future__ import annotations

import logging
import marshal
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifold import Manager
from manifold.sources.codecache import CodeCache, _context, _written
from manifold.sources.locations import as_source
from manifold.sources.sealed import HEADER

MODULE = '''
"""Plugin {n}."""
VALUE = {value!r}


class Plugin:
    def __init__(self, context):
        self.context = context

    def activate(self):
        pass

    def where(self):
        return __file__
'''


@pytest.fixture(autouse=True)
def _fresh_modules() -> Iterator[None]:
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("cc_"):
            del sys.modules[name]


def forget_modules() -> None:
    """Unload the plugins' modules, as a new process starts without them."""
    for name in [n for n in sys.modules if n.startswith("cc_")]:
        del sys.modules[name]


def make(root: Path, n: int, value: str = "one", *, first: int = 0) -> None:
    for i in range(first, n):
        folder = root / f"p{i}"
        (folder / f"cc_p{i}").mkdir(parents=True, exist_ok=True)
        manifest = f'[plugin]\nid = "p{i}"\nversion = "1.0"\npackages = ["cc_p{i}"]\nclass = "cc_p{i}:Plugin"\n'
        (folder / "plugin.toml").write_text(manifest)
        (folder / f"cc_p{i}" / "__init__.py").write_text(MODULE.format(n=i, value=value))


def start(root: Path, cache_dir: Path, **options: object) -> tuple[Manager, CodeCache]:
    manager = Manager([root], environ={}, cache_dir=cache_dir, timeout=None, **options)  # type: ignore[arg-type]
    manager.activate_all()
    cache = manager._importer.code_cache
    assert cache is not None
    return manager, cache


def cache_file(root: Path, cache_dir: Path) -> Path:
    return CodeCache(cache_dir, [as_source(root).name]).path


def test_a_warm_start_takes_every_module_from_the_cache(tmp_path: Path) -> None:
    make(tmp_path / "plugins", 3)
    first, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert (cache.hits, cache.misses) == (0, 3)
    first.close()
    path = cache_file(tmp_path / "plugins", tmp_path / "cache")
    assert path.stat().st_mode & 0o777 == 0o600
    written = path.stat().st_mtime_ns
    forget_modules()
    second, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert (cache.hits, cache.misses) == (3, 0)
    assert second.report.active == ["p0", "p1", "p2"]
    source = tmp_path / "plugins" / "p1" / "cc_p1" / "__init__.py"
    assert second.plugin("p1").where() == str(source)  # __file__, tracebacks and inspect see the real file
    assert sys.modules["cc_p1"].__spec__.origin == str(source)
    second.close()
    assert path.stat().st_mtime_ns == written  # nothing new: not rewritten


def restore_times(path: Path, text: str) -> None:
    status = path.stat()
    path.write_text(text)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_an_edit_with_size_and_mtime_put_back_is_compiled_again(tmp_path: Path) -> None:
    make(tmp_path / "plugins", 2)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    source = tmp_path / "plugins" / "p0" / "cc_p0" / "__init__.py"
    restore_times(source, MODULE.format(n=0, value="two"))  # the same size: only "one" -> "two"
    forget_modules()
    manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert (cache.hits, cache.misses) == (1, 1)
    assert sys.modules["cc_p0"].VALUE == "two"
    assert sys.modules["cc_p1"].VALUE == "one"
    manager.close()


def test_without_the_cache_no_code_file_is_written(tmp_path: Path) -> None:
    make(tmp_path / "plugins", 2)
    manager = Manager([tmp_path / "plugins"], environ={}, cache=False, cache_dir=tmp_path / "cache", timeout=None)
    manager.activate_all()
    assert manager._importer.code_cache is None
    manager.close()
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").glob("code-*.bin"))


def forge(path: Path, index: object, code: bytes = b"") -> None:
    """A file with a good header and checksum around the index ``index``, then ``code``: what only someone
    writing the cache can make."""
    seal(path, marshal.dumps(index), code)


def forge_entries(path: Path, entries: dict[str, Any]) -> None:
    """A file holding ``entries`` (``{path: (stamp, code)}``), written as the cache writes its entries."""
    seal(path, *_written(entries))


def seal(path: Path, payload: bytes, code: bytes) -> None:
    from manifold.sources.codecache import _FORMAT
    from manifold.sources.sealed import checksum

    path.write_bytes(HEADER.pack(b"MFDCODE\0", _FORMAT, len(payload), _context(), checksum(payload)) + payload + code)


def damaged_variants(good: bytes) -> dict[str, bytes]:
    index_byte = HEADER.size + 10  # a byte of the index, which the header's checksum covers
    return {
        "empty": b"",
        "truncated header": good[:20],
        "truncated code": good[:-5],
        "other magic": b"XXXXXXXX" + good[8:],
        "bit flip in the index": good[:index_byte] + bytes([good[index_byte] ^ 0x10]) + good[index_byte + 1 :],
        "bit flip in the last entry's code": good[:-3] + bytes([good[-3] ^ 0x10]) + good[-2:],
        "longer": good + b"\0",
    }


@pytest.mark.parametrize("damage", list(damaged_variants(b"\0" * 200)))
def test_damage_is_a_warning_and_the_code_is_compiled_again(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    make(tmp_path / "plugins", 2)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    path = cache_file(tmp_path / "plugins", tmp_path / "cache")
    path.write_bytes(damaged_variants(path.read_bytes())[damage])
    forget_modules()
    with caplog.at_level(logging.WARNING, logger="manifold"):
        manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert manager.report.active == ["p0", "p1"]
    messages = [r.getMessage() for r in caplog.records if "code cache" in r.getMessage()]
    if damage == "bit flip in the last entry's code":  # each entry has its own checksum: only that one is lost
        assert (cache.hits, cache.misses) == (1, 1)
        assert messages == [f"code cache {path}: an entry is damaged; its code is compiled again"]
    else:
        assert (cache.hits, cache.misses) == (0, 2)
    if damage not in ("empty", "bit flip in the last entry's code"):
        (message,) = messages
        assert message.startswith(f"code cache {path} ignored (")
        assert message.endswith("); plugin code is compiled again")
    manager.close()
    assert CodeCache(tmp_path / "cache", [as_source(tmp_path / "plugins").name])._loaded().keys() == {
        str(tmp_path / "plugins" / f"p{i}" / f"cc_p{i}" / "__init__.py") for i in range(2)
    }  # written again, whole


def place(offset: int, length: int) -> bytes:
    from manifold.sources.codecache import _PLACE

    return _PLACE.pack(1, 2, 3, 4, offset, length, 0)


@pytest.mark.parametrize(
    "entries",
    [
        [1, 2],
        ((), b""),
        ((), b"", "0"),
        ([], b"", 0),
        ((1,), place(0, 0), 0),
        (("x",), "not bytes", 0),
        (("x",), b"\0" * 10, 0),
        (("x",), place(0, 10**6), 0),
        (("x", "y"), place(0, 0) + place(0, 10**6), 0),
    ],
    ids=[
        "not a tuple",
        "two parts",
        "checksum not a number",
        "paths not a tuple",
        "path not text",
        "places not bytes",
        "places cut short",
        "code beyond the file",
        "last entry beyond the file",
    ],
)
def test_malformed_entries_with_a_good_checksum_are_ignored(tmp_path: Path, entries: object) -> None:
    make(tmp_path / "plugins", 1)
    path = cache_file(tmp_path / "plugins", tmp_path / "cache")
    path.parent.mkdir()
    forge(path, entries)
    manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert manager.report.active == ["p0"]
    assert cache.misses == 1
    manager.close()


def test_an_entry_that_is_not_the_code_of_its_file_is_compiled_again(tmp_path: Path) -> None:
    make(tmp_path / "plugins", 2)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    path = cache_file(tmp_path / "plugins", tmp_path / "cache")
    entries = CodeCache(tmp_path / "cache", [as_source(tmp_path / "plugins").name])._read()
    first, second = sorted(entries)
    # p0's entry with p1's code (its stamp kept): the file name inside the code gives it away
    forged = {first: (entries[first][0], entries[second][1]), second: (entries[second][0], b"not marshal data")}
    forge_entries(path, forged)
    forget_modules()
    manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert (cache.hits, cache.misses) == (0, 2)
    assert sys.modules["cc_p0"].__doc__ == "Plugin 0."
    assert sys.modules["cc_p1"].__doc__ == "Plugin 1."
    manager.close()


WARM = """
import sys
from manifold import Manager
manager = Manager([sys.argv[1]], environ={}, cache_dir=sys.argv[2], timeout=None)
manager.activate_all()
cache = manager._importer.code_cache
print(cache.hits, cache.misses, " ".join(manager.report.active))
"""


def test_another_process_starts_warm(tmp_path: Path) -> None:
    make(tmp_path / "plugins", 4)
    command = [sys.executable, "-c", WARM, str(tmp_path / "plugins"), str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # no __pycache__ either: the code comes from the cache
    cold = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    assert cold.stdout.split() == ["0", "4", "p0", "p1", "p2", "p3"]
    warm = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    assert warm.stdout.split() == ["4", "0", "p0", "p1", "p2", "p3"]


def test_code_files_count_in_the_cache_folders_bounds(tmp_path: Path) -> None:
    from manifold.sources.cache import MAX_CACHE_FILES

    folder = tmp_path / "cache"
    folder.mkdir()
    old = []
    for i in range(MAX_CACHE_FILES + 5):  # other source sets' code and manifests, written long ago, oldest first
        path = folder / f"{'code' if i % 2 else 'manifests'}-{i:024x}.bin"
        path.write_bytes(b"x" * 10)
        os.utime(path, ns=(1_000_000_000 * (i + 1), 1_000_000_000 * (i + 1)))
        old.append(path)
    make(tmp_path / "plugins", 1)
    manager, _ = start(tmp_path / "plugins", folder)
    manager.close()
    assert len(list(folder.glob("*.bin"))) == MAX_CACHE_FILES
    # this run wrote three files (its manifests, its snapshot, its code): the newest others stay
    assert [p for p in old if p.exists()] == old[-(MAX_CACHE_FILES - 3) :]
    assert cache_file(tmp_path / "plugins", folder).exists()


def test_the_entries_are_let_go_once_imported_and_stale_ones_leave_the_file(tmp_path: Path) -> None:
    make(tmp_path / "plugins", 3)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    forget_modules()
    manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert cache._entries == {}  # every entry taken by its import: nothing held beside the imported code
    manager.close()
    # p0 removed, p1 edited, a new p3: the next write keeps p2's entry, replaces p1's and drops p0's
    forget_modules()
    import shutil

    shutil.rmtree(tmp_path / "plugins" / "p0")
    (tmp_path / "plugins" / "p1" / "cc_p1" / "__init__.py").write_text(MODULE.format(n=1, value="edited"))
    make(tmp_path / "plugins", 4, first=3)
    manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert (cache.hits, cache.misses) == (1, 2)  # p2 from the cache; p1 and p3 compiled
    manager.close()
    entries = CodeCache(tmp_path / "cache", [as_source(tmp_path / "plugins").name])._loaded()
    assert sorted(Path(p).parent.name for p in entries) == ["cc_p1", "cc_p2", "cc_p3"]


def test_plugins_used_one_at_a_time_read_the_index_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path / "plugins", 5)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    forget_modules()
    reads = []
    real = CodeCache._index

    def counted(self: CodeCache) -> object:
        reads.append(self.path)
        return real(self)

    monkeypatch.setattr(CodeCache, "_index", counted)
    manager = Manager([tmp_path / "plugins"], environ={}, cache_dir=tmp_path / "cache", timeout=None)
    for i in range(5):  # a host activating its plugins one by one, as lazy use does
        assert manager.activate(f"p{i}")
    cache = manager._importer.code_cache
    assert cache is not None
    assert (cache.hits, cache.misses, len(reads)) == (5, 0, 1)
    manager.close()


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of each read of the code part of the file (one entry, or the whole part)."""
    reads: list[int] = []
    real = CodeCache._read_code

    def counted(self: CodeCache, start: int, status: os.stat_result, *, offset: int, length: int) -> bytes:
        reads.append(length)
        return real(self, start, status, offset=offset, length=length)

    monkeypatch.setattr(CodeCache, "_read_code", counted)
    return reads


def test_a_start_that_uses_a_few_plugins_reads_only_their_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path / "plugins", 40)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    forget_modules()
    size = cache_file(tmp_path / "plugins", tmp_path / "cache").stat().st_size
    reads = count_reads(monkeypatch)
    manager = Manager([tmp_path / "plugins"], environ={}, cache_dir=tmp_path / "cache", timeout=None)
    for i in (3, 17, 29):  # a host using three plugins of forty
        assert manager.activate(f"p{i}")
    cache = manager._importer.code_cache
    assert cache is not None
    assert (cache.hits, cache.misses) == (3, 0)
    assert len(reads) == 3
    assert sum(reads) < size / 10  # three entries' code, not the file
    assert sys.modules["cc_p17"].__doc__ == "Plugin 17."
    manager.close()


def test_a_start_that_uses_many_plugins_reads_the_code_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from manifold.sources.codecache import PREAD_FIRST

    count = PREAD_FIRST + 10
    make(tmp_path / "plugins", count)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    forget_modules()
    reads = count_reads(monkeypatch)
    manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert (cache.hits, cache.misses) == (count, 0)
    assert len(reads) == PREAD_FIRST + 1  # one entry at a time, then the rest of the file in one read
    assert cache._entries == {}
    assert cache._code is None  # every entry taken: the code read at once is let go
    manager.close()


def test_a_file_rewritten_by_another_process_after_its_index_was_read_is_not_read_past_it(tmp_path: Path) -> None:
    make(tmp_path / "plugins", 3)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    forget_modules()
    path = cache_file(tmp_path / "plugins", tmp_path / "cache")
    manager = Manager([tmp_path / "plugins"], environ={}, cache_dir=tmp_path / "cache", timeout=None)
    assert manager.activate("p0")  # the index is read
    copy = path.with_suffix(".new")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # another process wrote the file again: another file, whatever it holds
    assert manager.activate("p1")
    cache = manager._importer.code_cache
    assert cache is not None
    assert (cache.hits, cache.misses) == (1, 1)  # p1's code compiled again, not read at the old index's offsets
    assert sys.modules["cc_p1"].VALUE == "one"
    manager.close()


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.tuples(
            st.tuples(
                st.integers(0, 2**64 - 1),
                st.integers(-(2**63), 2**63 - 1),
                st.integers(-(2**63), 2**63 - 1),
                st.integers(0, 2**65),  # an inode beyond 64 bits cannot be indexed: that entry is left out
            ),
            st.binary(max_size=64),
        ),
        max_size=8,
    )
)
def test_every_entry_the_index_can_hold_is_read_back_as_written(entries: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = CodeCache(Path(folder), ["plugins"])
        forge_entries(cache.path, entries)
        kept = {path: entry for path, entry in entries.items() if entry[0][3] < 2**64}
        assert cache._read() == kept
        assert cache._loaded().keys() == kept.keys()


def test_a_damaged_entry_in_code_read_at_once_is_compiled_again_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Read at once, the code is checked as a whole; when that fails, each entry is checked on its own."""
    from manifold.sources.codecache import PREAD_FIRST

    count = PREAD_FIRST + 10
    make(tmp_path / "plugins", count)
    start(tmp_path / "plugins", tmp_path / "cache")[0].close()
    path = cache_file(tmp_path / "plugins", tmp_path / "cache")
    raw = path.read_bytes()
    path.write_bytes(raw[:-3] + bytes([raw[-3] ^ 0x10]) + raw[-2:])  # the code of the last entry in the file
    forget_modules()
    with caplog.at_level(logging.WARNING, logger="manifold"):
        manager, cache = start(tmp_path / "plugins", tmp_path / "cache")
    assert (cache.hits, cache.misses) == (count - 1, 1)
    assert caplog.messages == [f"code cache {path}: an entry is damaged; its code is compiled again"]
    assert len(manager.report.active) == count
    manager.close()
