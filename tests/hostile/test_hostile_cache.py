"""A damaged, forged or stale manifest cache: a cold read and one warning, never a crash or a wrong manifest;
edits that keep the size and put the modification time back are seen, by the cache, rescan and archives."""

from __future__ import annotations

import logging
import marshal
import os
import random
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from manifold import ArchiveError, Manager, pack
from manifold.sources.archives import check_unchanged, open_archive
from manifold.sources.cache import _FORMAT, _MAGIC, MAX_CACHE_SIZE, ManifestCache
from manifold.sources.locations import as_source
from manifold.sources.scan import find_manifests
from manifold.sources.sealed import HEADER as _HEADER
from manifold.sources.sealed import checksum

OPEN: list[Manager] = []


@pytest.fixture(autouse=True)
def _close_managers() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def make(root: Path) -> None:
    for name, version in (("a", "1.0"), ("b", "2.0")):
        (root / name).mkdir(parents=True)
        (root / name / "plugin.toml").write_text(f'[plugin]\nid = "{name}"\nversion = "{version}"\ntags = ["t"]\n')


def cache(root: Path, folder: Path) -> ManifestCache:
    return ManifestCache(folder, [as_source(root).name])


def versions(root: Path, folder: Path) -> dict[str, str]:
    manager = Manager([root], environ={}, cache_dir=folder)
    OPEN.append(manager)
    report = manager.discover()
    return {pid: str(info.manifest.version) for pid, info in report.plugins.items() if info.manifest is not None}


EXPECTED = {"a": "1.0", "b": "2.0"}


def test_every_single_bit_flip_is_a_cold_read_or_the_same_entries(tmp_path: Path) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    assert versions(root, folder) == EXPECTED
    good = cache(root, folder)
    entries, path = good._entries, good.path
    original = path.read_bytes()
    assert 200 < len(original) < 2000
    outcomes = {"cold": 0, "same": 0}
    began = time.perf_counter()
    for bit in range(len(original) * 8):
        damaged = bytearray(original)
        damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(damaged)
        loaded = cache(root, folder)._entries
        assert loaded in ({}, entries), bit
        outcomes["cold" if loaded == {} else "same"] += 1
    assert time.perf_counter() - began < 20
    assert outcomes == {"cold": len(original) * 8, "same": 0}  # the checksum sees every one


def test_a_sample_of_bit_flips_through_the_manager(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    path = cache(root, folder).path
    original = path.read_bytes()
    for bit in random.Random(13).sample(range(len(original) * 8), 40):
        damaged = bytearray(original)
        damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(damaged)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="manifold"):
            assert versions(root, folder) == EXPECTED
        assert len([r for r in caplog.records if "manifest cache" in r.getMessage()]) == 1
        assert path.read_bytes() == original  # rewritten whole


def forge(path: Path, entries: Any, *, context: bytes, length: int | None = None) -> None:
    """A cache file with a correct header and checksum around ``entries`` (what an attacker or a bug could write)."""
    payload = marshal.dumps(entries)
    header = _HEADER.pack(_MAGIC, _FORMAT, len(payload) if length is None else length, context, checksum(payload))
    path.write_bytes(header + payload)


STAMP = (10, 1, 1, 1)
DIAGNOSTIC = ("error", "version", "bad", "f", 1, 1, "plugin.version", None)
MALFORMED = {
    "a list instead of a table": [],
    "a key that is not a string": {1: (STAMP, "f", None, (), None)},
    "an entry that is not a tuple": {"k": [STAMP, "f", None, (), None]},
    "a short entry": {"k": (STAMP, "f", None)},
    "a stamp of strings": {"k": (("1", "2", "3", "4"), "f", None, (), None)},
    "a short stamp": {"k": ((1, 2), "f", None, (), None)},
    "a file name that is a number": {"k": (STAMP, 7, None, (), None)},
    "a diagnostic of 3 values": {"k": (STAMP, "f", None, (("error", "version", "x"),), None)},
    "an unknown code": {"k": (STAMP, "f", None, (("error", "nope", "x", None, None, None, None, None),), None)},
    "a severity that is not one": {"k": (STAMP, "f", None, (("fatal", *DIAGNOSTIC[1:]),), None)},
    "a line that is a string": {"k": (STAMP, "f", None, ((*DIAGNOSTIC[:4], "1", *DIAGNOSTIC[5:]),), None)},
    "data that is not marshalled": {"k": (STAMP, "f", {"plugin": {}}, (), None)},
    "data beside an error": {"k": (STAMP, "f", marshal.dumps({"plugin": {}}), (DIAGNOSTIC,), None)},
    "a plugin id that is a number": {"k": (STAMP, "f", None, (), 5)},
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_entry_with_a_good_checksum_is_a_cold_read(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    good = cache(root, folder)
    forge(good.path, MALFORMED[name], context=good._context)
    with caplog.at_level(logging.WARNING, logger="manifold"):
        assert cache(root, folder)._entries == {}
    default = "a malformed entry for 'k'"
    why = {
        "a list instead of a table": "its entries are not a table",
        "a key that is not a string": "a malformed entry for 1",
    }
    assert [r.getMessage() for r in caplog.records] == [
        f"manifest cache {good.path} ignored ({why.get(name, default)}); the manifests are read again"
    ]
    assert versions(root, folder) == EXPECTED


DAMAGED_DATA = {
    "not marshal's at all": b"\xffnot marshal",
    "a list": marshal.dumps([1]),
    "a table with a set": marshal.dumps({"plugin": {1, 2}}),
    "a table with a bytes value": marshal.dumps({"plugin": b"x"}),
    "a table nested 200 deep": marshal.dumps({"x": eval("[" * 200 + "]" * 200)}),
    "a table that is no manifest": marshal.dumps({"plugin": {"version": 3}}),
}


@pytest.mark.parametrize("name", list(DAMAGED_DATA))
def test_an_entry_whose_table_cannot_be_used_is_that_manifest_read_again(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry's table is checked when it is used (a warm start reads no other): one that does not hold a
    manifest's table is that file read again, with one warning; the other entries are used, and the cache
    is written again whole."""
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    good = cache(root, folder)
    key = next(k for k in good._entries if k.endswith(os.path.join("a", "plugin.toml")))
    stamp, file, _, diagnostics, plugin_id = good._entries[key]
    forge(
        good.path,
        {**good._entries, key: (stamp, file, DAMAGED_DATA[name], diagnostics, plugin_id)},
        context=good._context,
    )
    damaged = cache(root, folder)
    locations = find_manifests(root)
    with caplog.at_level(logging.WARNING, logger="manifold"):
        found = damaged.parse_all(locations)
    assert {p.plugin_id: str(p.manifest.version) for p in found if p.manifest is not None} == EXPECTED
    assert (damaged.hits, damaged.misses) == (1, 1)
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"manifest cache {good.path}: the entry of {key} is damaged (")
    assert message.endswith("); it is read again, as is any other damaged entry")
    damaged.save()
    assert cache(root, folder)._entries == good._entries


def test_many_damaged_entries_are_read_again_with_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    good = cache(root, folder)
    forged = {key: (*entry[:2], b"\xff", *entry[3:]) for key, entry in good._entries.items()}
    assert len(forged) == 2
    forge(good.path, forged, context=good._context)
    damaged = cache(root, folder)
    with caplog.at_level(logging.WARNING, logger="manifold"):
        found = damaged.parse_all(find_manifests(root))
    assert {p.plugin_id: str(p.manifest.version) for p in found if p.manifest is not None} == EXPECTED
    assert (damaged.hits, damaged.misses) == (0, 2)
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"manifest cache {good.path}: the entry of ")
    assert "is damaged (bad marshal data" in message
    assert message.endswith("); it is read again, as is any other damaged entry")
    damaged.save()
    assert cache(root, folder)._entries == good._entries  # written again with the good tables


def test_a_forged_entry_for_a_real_manifest_is_used_only_with_its_stamp(tmp_path: Path) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    good = cache(root, folder)
    entries = dict(good._entries)
    key = next(k for k in entries if k.endswith(os.path.join("a", "plugin.toml")))
    stamp, file, _, diagnostics, plugin_id = entries[key]
    table = marshal.dumps({"plugin": {"id": "a", "version": "9.9"}})
    stale = (tuple(n + 1 for n in stamp), file, table, diagnostics, plugin_id)
    forge(good.path, {**entries, key: stale}, context=good._context)
    assert versions(root, folder) == EXPECTED


@pytest.mark.parametrize(
    "header",
    [
        "a length beyond the file",
        "a length of 2**63",
        "a file beyond the size limit",
        "another format",
        "no header at all",
        "a header cut short",
    ],
)
def test_damaged_headers_cost_no_memory(tmp_path: Path, header: str) -> None:
    import tracemalloc

    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    good = cache(root, folder)
    path, context = good.path, good._context
    if header == "a length beyond the file":
        forge(path, good._entries, context=context, length=1 << 40)
    elif header == "a length of 2**63":
        forge(path, good._entries, context=context, length=1 << 63)
    elif header == "a file beyond the size limit":
        with path.open("r+b") as file:
            file.truncate(MAX_CACHE_SIZE + 1)  # sparse
    elif header == "another format":
        path.write_bytes(struct.pack(">8sI", _MAGIC, 99) + path.read_bytes()[12:])
    elif header == "no header at all":
        path.write_bytes(marshal.dumps(good._entries))
    else:
        path.write_bytes(path.read_bytes()[:20])
    tracemalloc.start()
    try:
        assert cache(root, folder)._entries == {}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20
    assert versions(root, folder) == EXPECTED


def test_the_verdicts_context_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    first = cache(root, folder).path
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])  # as `python -m pytest` against `pytest`
    second = cache(root, folder)
    assert second.path != first
    second.parse_all(find_manifests(root))
    assert (second.hits, second.misses) == (0, 2)
    monkeypatch.setattr(sys, "executable", "/elsewhere/python")
    assert cache(root, folder).path not in (first, second.path)


def restore_mtime(path: Path, text: str) -> None:
    """Write ``text`` (of the same size) into ``path`` and put its modification time back."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def test_a_same_size_edit_with_its_mtime_put_back_is_seen(tmp_path: Path) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    assert versions(root, folder) == EXPECTED
    manifest = root / "a" / "plugin.toml"
    restore_mtime(manifest, manifest.read_text().replace('"1.0"', '"1.5"'))
    assert versions(root, folder) == {"a": "1.5", "b": "2.0"}


def test_a_file_replaced_by_another_of_the_same_size_and_mtime_is_seen(tmp_path: Path) -> None:
    root, folder = tmp_path / "plugins", tmp_path / "cache"
    make(root)
    versions(root, folder)
    manifest = root / "a" / "plugin.toml"
    before = manifest.stat()
    other = root / "a" / "new.toml"
    other.write_text(manifest.read_text().replace('"1.0"', '"1.6"'))
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    other.replace(manifest)
    assert versions(root, folder) == {"a": "1.6", "b": "2.0"}


def test_rescan_sees_same_size_edits_of_manifests_and_code(tmp_path: Path) -> None:
    package = f"hostile_cache_{os.getpid()}_{time.monotonic_ns()}"
    root = tmp_path / "plugins"
    (root / "a" / package).mkdir(parents=True)
    code = root / "a" / package / "__init__.py"
    code.write_text("VALUE = 1\n")
    manifest = root / "a" / "plugin.toml"
    manifest.write_text(f'[plugin]\nid = "a"\nversion = "1.0"\npackages = ["{package}"]\nactivation = "eager"\n')
    manager = Manager([root], environ={}, cache_dir=tmp_path / "cache")
    OPEN.append(manager)
    manager.start()
    assert manager.report.active == ["a"]
    assert manager.rescan().changed == ()
    restore_mtime(code, "VALUE = 2\n")
    assert manager.rescan().changed == ("a",)
    restore_mtime(manifest, manifest.read_text().replace('"1.0"', '"1.1"'))
    assert manager.rescan().changed == ("a",)
    assert str(manager.report.plugins["a"].manifest.version) == "1.1"  # type: ignore[union-attr]


def archive(tmp_path: Path, version: str) -> Path:
    folder = tmp_path / f"src-{version}"
    folder.mkdir()
    (folder / "plugin.toml").write_text(f'[plugin]\nid = "z"\nversion = "{version}"\n')
    return pack(folder, tmp_path / f"z-{version}.mfz").archive


def test_an_archive_rewritten_in_place_with_its_mtime_put_back_is_refused(tmp_path: Path) -> None:
    first, second = archive(tmp_path, "1.0"), archive(tmp_path, "2.0")
    assert first.stat().st_size == second.stat().st_size
    root = open_archive(first)
    check_unchanged(root)
    restore = first.stat()
    first.write_bytes(second.read_bytes())
    os.utime(first, ns=(restore.st_atime_ns, restore.st_mtime_ns))
    with pytest.raises(ArchiveError, match="changed since it was checked"):
        check_unchanged(root)


def test_an_archive_touched_or_copied_back_is_hashed_again_and_passes(tmp_path: Path) -> None:
    first = archive(tmp_path, "1.0")
    root = open_archive(first)
    os.utime(first, ns=(1, 1))
    check_unchanged(root)
    data = first.read_bytes()
    first.unlink()
    first.write_bytes(data)  # another inode, the same bytes
    check_unchanged(root)
    first.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(ArchiveError, match="changed since it was checked"):
        check_unchanged(root)
