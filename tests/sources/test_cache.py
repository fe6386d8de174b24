"""The manifest cache: warm starts read no TOML, a change invalidates exactly its entry, damage is harmless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from manifold import Manager
from manifold.sources.cache import ManifestCache
from manifold.sources.locations import as_source
from manifold.testing import PluginFolder


def make_plugins(root: Path, n: int) -> None:
    for i in range(n):
        folder = root / f"p{i}"
        folder.mkdir(parents=True)
        deps = f'\n[dependencies]\np{i - 1} = ">=1"\n' if i else ""
        (folder / "plugin.toml").write_text(f'[plugin]\nid = "p{i}"\nversion = "1.{i}"\n{deps}')


def manager(root: Path, cache_dir: Path, **options: object) -> Manager:
    return Manager([root], environ={}, cache_dir=cache_dir, **options)  # type: ignore[arg-type]


def cache_of(root: Path, cache_dir: Path) -> ManifestCache:
    return ManifestCache(cache_dir, [as_source(root).name])


WARM_START = """
import sys
from manifold import Manager
manager = Manager([sys.argv[1]], environ={}, cache_dir=sys.argv[2])
report = manager.activate_all()
print(" ".join(report.active))
heavy = ("tomli", "tomllib", "manifold.manifest.read", "jsonschema", "networkx", "zipfile", "hashlib", "pickle")
heavy += ("importlib.metadata", "email", "importlib.resources", "tempfile")
print(sorted(name for name in heavy if name in sys.modules))
"""


def test_warm_start_reads_no_toml_and_imports_no_reader(tmp_path: Path) -> None:
    make_plugins(tmp_path / "plugins", 5)
    requiring = '[plugin]\nid = "p0"\nversion = "1.0"\nrequires = ["packaging>=20"]\n'  # gating looks it up
    (tmp_path / "plugins" / "p0" / "plugin.toml").write_text(requiring)
    # The cache is per sys.path (the shadowing check depends on it): the cold start runs as the warm one does.
    command = [sys.executable, "-c", WARM_START, str(tmp_path / "plugins"), str(tmp_path / "cache")]
    cold = subprocess.run(command, capture_output=True, text=True, check=True)
    assert cold.stdout.splitlines()[0] == "p0 p1 p2 p3 p4"
    (cache_file,) = (tmp_path / "cache").glob("manifests-*.bin")
    written = cache_file.stat().st_mtime_ns
    # A fresh process, as a host's next start: every manifest comes from the cache, so nothing that
    # reads TOML, validates, archives, reads distribution metadata or package resources is imported at all.
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["p0 p1 p2 p3 p4", "[]"]
    assert cache_file.stat().st_mtime_ns == written  # not rewritten
    warm = manager(tmp_path / "plugins", tmp_path / "cache").discover()
    assert {pid: str(info.manifest.version) for pid, info in warm.plugins.items() if info.manifest} == {
        f"p{i}": f"1.{i}" for i in range(5)
    }


def test_a_changed_manifest_invalidates_exactly_its_entry(tmp_path: Path) -> None:
    make_plugins(tmp_path / "plugins", 4)
    manager(tmp_path / "plugins", tmp_path / "cache").discover()
    manifest = tmp_path / "plugins" / "p2" / "plugin.toml"
    manifest.write_text(manifest.read_text().replace('version = "1.2"', 'version = "2.0"'))
    os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 1_000_000))
    cache = cache_of(tmp_path / "plugins", tmp_path / "cache")
    from manifold.sources.scan import find_manifests

    locations = find_manifests(tmp_path / "plugins")
    parsed = {loc.file: found for loc, found in zip(locations, cache.parse_all(locations), strict=True)}
    assert (cache.hits, cache.misses) == (3, 1)
    assert str(parsed[str(manifest)].manifest.version) == "2.0"  # type: ignore[union-attr]
    report = manager(tmp_path / "plugins", tmp_path / "cache").discover()
    assert report.plugins["p2"].version == "2.0"
    assert report.order == ("p0", "p1", "p2", "p3")


def test_invalid_manifests_are_cached_with_their_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "plugins" / "bad").mkdir(parents=True)
    (tmp_path / "plugins" / "bad" / "plugin.toml").write_text('[plugin]\nid = "bad"\nversion = "x.y"\n')
    first = manager(tmp_path / "plugins", tmp_path / "cache").discover()
    second = manager(tmp_path / "plugins", tmp_path / "cache").discover()
    assert second.diagnostics == first.diagnostics
    assert [d.code for d in second.diagnostics] == ["version"]
    assert second.plugins["bad"].reason == first.plugins["bad"].reason


@pytest.mark.parametrize("damage", [b"", b"not marshal at all", b"\xff" * 64])
def test_a_corrupt_cache_is_ignored_and_rebuilt(tmp_path: Path, damage: bytes) -> None:
    make_plugins(tmp_path / "plugins", 2)
    manager(tmp_path / "plugins", tmp_path / "cache").discover()
    (cache_file,) = (tmp_path / "cache").glob("manifests-*.bin")
    cache_file.write_bytes(damage)
    assert manager(tmp_path / "plugins", tmp_path / "cache").discover().order == ("p0", "p1")
    assert cache_file.read_bytes() != damage
    assert (lambda c: (c.hits, c.misses))(_warm(tmp_path)) == (2, 0)


def _warm(tmp_path: Path) -> ManifestCache:
    from manifold.sources.scan import find_manifests

    cache = cache_of(tmp_path / "plugins", tmp_path / "cache")
    cache.parse_all(find_manifests(tmp_path / "plugins"))
    return cache


def test_a_cache_of_another_version_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_plugins(tmp_path / "plugins", 2)
    manager(tmp_path / "plugins", tmp_path / "cache").discover()
    monkeypatch.setattr("manifold.__version__", "99.0")
    cache = _warm(tmp_path)
    assert (cache.hits, cache.misses) == (0, 2)


def test_cache_off_writes_nothing_and_unwritable_folders_are_harmless(tmp_path: Path) -> None:
    make_plugins(tmp_path / "plugins", 2)
    manager(tmp_path / "plugins", tmp_path / "cache", cache=False).discover()
    assert not (tmp_path / "cache").exists()
    (tmp_path / "file").write_text("a file where the cache folder should be")
    assert manager(tmp_path / "plugins", tmp_path / "file" / "cache").discover().order == ("p0", "p1")


def test_the_cache_folder_is_bounded_the_least_recently_written_go_first(
    manifold_plugins: PluginFolder, tmp_path: Path
) -> None:
    from manifold.sources.cache import MAX_CACHE_FILES

    folder = tmp_path / "cache"
    folder.mkdir()
    old = []
    for i in range(MAX_CACHE_FILES + 5):  # other source sets, written long ago, the oldest first
        path = folder / f"manifests-{i:024x}.bin"
        path.write_bytes(b"x" * 10)
        os.utime(path, ns=(1_000_000_000 * (i + 1), 1_000_000_000 * (i + 1)))
        old.append(path)
    manifold_plugins.add("a")
    manifold_plugins.manager(cache_dir=folder).discover()
    left = sorted(folder.glob("*.bin"))  # the manifest caches and the snapshots together
    assert len(left) == MAX_CACHE_FILES
    assert len(list(folder.glob("snapshot-*.bin"))) == 1
    # the newest others, and this run's manifest cache and snapshot
    assert [p for p in old if p.exists()] == old[-(MAX_CACHE_FILES - 2) :]


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {"XDG_CACHE_HOME": "/x/cache"}, "/x/cache/manifold"),
        ("linux", {}, "~/.cache/manifold"),
        ("darwin", {"XDG_CACHE_HOME": "/x/cache"}, "~/Library/Caches/manifold"),
        ("win32", {"LOCALAPPDATA": "/x/local"}, "/x/local/manifold/Cache"),
        ("win32", {}, "~/AppData/Local/manifold/Cache"),
    ],
)
def test_the_cache_lives_in_the_platforms_cache_folder(
    monkeypatch: pytest.MonkeyPatch, platform: str, environ: dict[str, str], expected: str
) -> None:
    from manifold.config import default_cache_dir

    for name in ("XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert default_cache_dir(platform) == Path(os.path.expanduser(expected))


def test_a_manifest_holding_a_toml_date_is_read_again_the_others_come_from_the_cache(tmp_path: Path) -> None:
    make_plugins(tmp_path / "plugins", 3)
    dated = tmp_path / "plugins" / "p1" / "plugin.toml"
    dated.write_text(
        dated.read_text()
        + '\n[[extension-points]]\nid = "p1.dates"\n\n[[extensions]]\npoint = "p1.dates"\nid = "first"\n'
        + "config = { released = 1979-05-27 }\n"
    )
    first = manager(tmp_path / "plugins", tmp_path / "cache").discover()
    assert first.order == ("p0", "p1", "p2")
    assert len(list((tmp_path / "cache").glob("manifests-*.bin"))) == 1  # written, without the dated entry
    cache = _warm(tmp_path)
    assert (cache.hits, cache.misses) == (2, 1)
    second = manager(tmp_path / "plugins", tmp_path / "cache").discover()
    assert second.order == first.order
    assert second.diagnostics == first.diagnostics
