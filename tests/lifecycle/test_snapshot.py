"""A warm start from the snapshot of the last resolved start gives exactly what reading, gating and resolving give;
anything the snapshot depends on changing sends the start down the cold path; a damaged snapshot is never a crash."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifold import Manager

OPEN: list[Manager] = []


@pytest.fixture(autouse=True)
def _close_managers() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def write(folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.toml").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def rich_set(root: Path, other: Path) -> None:
    """Plugins that go every way discovery can send them."""
    write(
        root / "a",
        """
        [plugin]
        id = "a"
        version = "1.0"
        [settings-schema]
        type = "object"
        properties.level = { type = "integer", default = 1 }
        properties.name = { type = "string", default = "x" }
        [[extension-points]]
        id = "a.formats"
        config-schema = { type = "object", properties.label = { type = "string", default = "plain" } }
        [[extensions]]
        point = "a.formats"
        id = "own"
        config = { weight = 2 }
        """,
    )
    write(
        root / "b",
        """
        [plugin]
        id = "b"
        version = "2.0"
        [dependencies]
        a = ">=1"
        [settings-schema]
        properties.colour = { type = "string", default = "red" }
        [[extensions]]
        point = "a.formats"
        id = "fancy"
        priority = 5
        config = { label = "fancy" }
        [[extensions]]
        point = "a.formats"
        id = "nowhere"
        markers = "sys_platform == 'no-such-platform'"
        [[extensions]]
        point = "host.things"
        id = "thing"
        """,
    )
    write(root / "c", '[plugin]\nid = "c"\nversion = "1.0"\n[dependencies]\nghost = ">=1"\n')
    write(root / "d", '[plugin]\nid = "d"\nversion = "1.0"\n[dependencies]\nc = "*"\n')
    write(root / "e", '[plugin]\nid = "e"\nversion = "1.0"\n[optional-dependencies]\na = ">=1"\nabsent = "*"\n')
    write(root / "bad", '[plugin]\nid = "bad"\nversion = "x.y"\n')
    write(root / "old", '[plugin]\nid = "old"\nversion = "1.0"\nrequires-python = "<3"\n')
    write(root / "future", '[plugin]\nid = "future"\nversion = "1.0"\nrequires-api = ">=9"\n')
    write(root / "newer", '[plugin]\nid = "newer"\nversion = "1.0"\nrequires-app = ">=5"\n')
    write(root / "nope", '[plugin]\nid = "nope"\nversion = "1.0"\n')
    write(root / "cycle1", '[plugin]\nid = "cycle1"\nversion = "1.0"\n[dependencies]\ncycle2 = "*"\n')
    write(root / "cycle2", '[plugin]\nid = "cycle2"\nversion = "1.0"\n[dependencies]\ncycle1 = "*"\n')
    write(other / "a", '[plugin]\nid = "a"\nversion = "9.0"\n')  # shadowed by the first source's
    write(other / "z", '[plugin]\nid = "z"\nversion = "1.0"\nactivation = "eager"\n')


OPTIONS: dict[str, Any] = {
    "environ": {},
    "app": "host",
    "app_version": "1.0",
    "app_severity": "warning",
    "api_version": "1.0",
    "deny": ["nope"],
    "required": ["missing"],
    "settings": {"a": {"level": 3}},
}


def build(sources: list[Path], cache_dir: Path | None, **options: Any) -> Manager:
    merged = {**OPTIONS, **options}
    manager = Manager(sources, cache_dir=cache_dir, cache=cache_dir is not None, **merged)
    manager.add_point("host.things", config_schema={"properties": {"size": {"type": "integer", "default": 7}}})
    OPEN.append(manager)
    return manager


def view(manager: Manager) -> dict[str, Any]:
    """Everything a host can read after discovery (and the edges the activation order follows)."""
    report = manager.discover()
    points = manager.points()
    return {
        "plugins": {
            pid: (i.state, i.reason, i.source, i.warnings, i.manifest, i.discovered_at is None)
            for pid, i in report.plugins.items()
        },
        "order": report.order,
        "diagnostics": report.diagnostics,
        "points": dict(points),
        "extensions": {
            point: [
                (h.plugin, h.point, h.index, h.ref, h.id, h.priority, h.config, h.order, h.wrapper, repr(h))
                for h in manager.extensions(point)
            ]
            for point in points
        },
        "settings": {pid: manager.settings(pid) for pid in report.plugins},
        "needs": dict(manager._plugins.needs),
        "needed_by": dict(manager._plugins.needed_by),
    }


@pytest.fixture
def no_resolving(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails any gating and resolving: what a start from the snapshot never does."""
    from manifold.lifecycle.discovery import Discovery

    def refuse(*args: object) -> None:
        raise AssertionError("resolved: the snapshot was not used")

    with monkeypatch.context() as patch:
        patch.setattr(Discovery, "resolve", refuse)
        patch.setattr(Discovery, "read", refuse)
        yield


def snapshots(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("snapshot-*.bin"))


def test_a_warm_start_gives_exactly_the_cold_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, other, cache = tmp_path / "plugins", tmp_path / "more", tmp_path / "cache"
    rich_set(root, other)
    reference = view(build([root, other], None))
    first = view(build([root, other], cache))
    assert len(snapshots(cache)) == 1
    from manifold.lifecycle.discovery import Discovery

    monkeypatch.setattr(Discovery, "resolve", lambda *a: pytest.fail("resolved: the snapshot was not used"))
    warm = build([root, other], cache)
    assert view(warm) == first == reference
    states = {pid: info.state for pid, info in warm.report.plugins.items()}
    assert states == {
        "a": "resolved",
        "b": "resolved",
        "c": "unresolved",
        "d": "unresolved",
        "e": "resolved",
        "bad": "filtered",
        "old": "filtered",
        "future": "filtered",
        "newer": "resolved",
        "nope": "filtered",
        "cycle1": "unresolved",
        "cycle2": "unresolved",
        f"a@{other}/a/plugin.toml": "filtered",
        "z": "resolved",
        "missing": "filtered",
    }
    assert warm.report.warnings["newer"][0].code == "incompatible-app"
    assert warm.report.plugins["d"].reason.cause.code == "missing-dependency"  # type: ignore[union-attr]
    assert dict(warm.settings("a")) == {"level": 3, "name": "x"}
    assert [h.config for h in warm.extensions("host.things")] == [{"size": 7}]
    assert warm.timings["gate"] == warm.timings["resolve"] == 0.0


def test_a_warm_start_logs_what_gating_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root, other, cache = tmp_path / "plugins", tmp_path / "more", tmp_path / "cache"
    rich_set(root, other)
    write(root / "api", '[plugin]\nid = "api"\nversion = "1.0"\nrequires-api = ">=9"\n')
    logs = []
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="manifold"):
            build([root, other], cache, api_severity="error").discover()
        logs.append([r.getMessage() for r in caplog.records if r.name == "manifold"])
    assert logs[0] == logs[1]
    assert any("loading it anyway" in line for line in logs[1])
    assert any(line.endswith("skipping it") for line in logs[1])


def test_a_warm_start_builds_no_manifest_until_one_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from manifold import Manifest

    root, other, cache = tmp_path / "plugins", tmp_path / "more", tmp_path / "cache"
    rich_set(root, other)
    build([root, other], cache, settings={}).discover()
    built: list[str] = []
    original = Manifest.from_data.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Manifest], data: Any, **where: Any) -> Manifest:
        built.append(data["plugin"]["id"])
        return original(cls, data, **where)  # type: ignore[no-any-return]

    monkeypatch.setattr(Manifest, "from_data", classmethod(counting))
    warm = build([root, other], cache, settings={})
    report = warm.discover()
    warm.points(), warm.extensions("a.formats"), warm.load_order
    assert built == []
    assert report.plugins["b"].version == "2.0"
    assert warm.inspect("b").manifest is report.plugins["b"].manifest
    assert built == ["b"]


def test_threads_reading_a_deferred_manifest_at_once_get_one_object(tmp_path: Path) -> None:
    import threading

    root, other, cache = tmp_path / "plugins", tmp_path / "more", tmp_path / "cache"
    rich_set(root, other)
    build([root, other], cache).discover()
    for _ in range(5):
        warm = build([root, other], cache)
        report = warm.discover()
        start = threading.Barrier(8)
        seen: list[object] = []

        def read(
            report: Any = report, warm: Manager = warm, start: threading.Barrier = start, seen: list[object] = seen
        ) -> None:
            start.wait()
            seen.append(report.plugins["b"].manifest)
            seen.append(warm.inspect("b").manifest)

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == 16
        assert all(manifest is seen[0] for manifest in seen)
        assert seen[0] is not None


def test_host_settings_are_not_written_in_the_snapshot(tmp_path: Path) -> None:
    root, other, cache = tmp_path / "plugins", tmp_path / "more", tmp_path / "cache"
    rich_set(root, other)
    secret = "s3cr3t-value-0123"
    build([root, other], cache, settings={"a": {"name": secret}}).discover()
    (path,) = snapshots(cache)
    assert secret.encode() not in path.read_bytes()
    warm = build([root, other], cache, settings={"a": {"name": secret}})
    assert dict(warm.settings("a")) == {"level": 1, "name": secret}


# ---------------------------------------------------------------------------------------- invalidation
def started_warm(manager: Manager) -> bool:
    manager.discover()
    return manager.timings["gate"] == 0.0 and manager.timings["resolve"] == 0.0


def small_set(root: Path) -> None:
    write(root / "a", '[plugin]\nid = "a"\nversion = "1.0"\n')
    write(root / "b", '[plugin]\nid = "b"\nversion = "1.0"\n[dependencies]\na = "*"\n')


def test_an_edit_that_puts_size_and_mtime_back_is_seen(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache).discover()
    assert started_warm(build([root], cache))
    manifest = root / "a" / "plugin.toml"
    before = manifest.stat()
    manifest.write_text(manifest.read_text().replace('"1.0"', '"1.5"'))
    os.utime(manifest, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert manifest.stat().st_size == before.st_size
    changed = build([root], cache)
    assert not started_warm(changed)
    assert changed.report.plugins["a"].version == "1.5"
    assert started_warm(build([root], cache))


def test_a_plugin_folder_added_or_removed_is_seen(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache).discover()
    write(root / "c", '[plugin]\nid = "c"\nversion = "1.0"\n')
    added = build([root], cache)
    assert not started_warm(added)
    assert added.load_order == ("a", "b", "c")
    (root / "c" / "plugin.toml").unlink()
    (root / "c").rmdir()
    removed = build([root], cache)
    assert not started_warm(removed)
    assert removed.load_order == ("a", "b")
    (root / "a" / "plugin.toml").rename(root / "a" / "plugin.toml.off")  # a folder that is no plugin now
    gone = build([root], cache)
    assert not started_warm(gone)
    assert gone.report.plugins["b"].state == "unresolved"


@pytest.mark.parametrize(
    ("options", "state_of_a"),
    [
        ({"deny": ["a"]}, "filtered"),
        ({"allow": ["b"]}, "filtered"),
        ({"enabled": ["b"]}, "filtered"),
        ({"disabled": ["a"]}, "filtered"),
        ({"settings": {"a": {"x": 1}}}, "resolved"),
        ({"api_version": "2.0"}, "filtered"),
        ({"app": "other"}, "filtered"),
        ({"required": ["zz"]}, "resolved"),
    ],
)
def test_a_changed_host_option_is_seen(tmp_path: Path, options: dict[str, Any], state_of_a: str) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    write(root / "a", '[plugin]\nid = "a"\nversion = "1.0"\nrequires-api = "<2"\ntarget = "host"\n')
    build([root], cache).discover()
    assert started_warm(build([root], cache))
    changed = build([root], cache, **options)
    assert not started_warm(changed)
    assert changed.report.plugins["a"].state == state_of_a
    assert started_warm(build([root], cache, **options))
    assert not started_warm(build([root], cache))  # back: one snapshot per source set, written again
    assert started_warm(build([root], cache))


def test_set_options_in_another_order_are_the_same_options(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    many = [f"id{i}" for i in range(40)]
    build([root], cache, deny=many, settings={"x": {"b": 1, "a": 2}, "y": {}}).discover()
    again = build([root], cache, deny=many[::-1], settings={"y": {}, "x": {"a": 2, "b": 1}})
    assert started_warm(again)
    # and in a process with another hash seed (frozenset order differs)
    code = (
        "import sys; from manifold import Manager; "
        "m = Manager([sys.argv[1]], environ={}, cache_dir=sys.argv[2], deny=[f'id{i}' for i in range(40)], "
        "settings={'y': {}, 'x': {'a': 2, 'b': 1}}); m.add_point('host.things', config_schema="
        "{'properties': {'size': {'type': 'integer', 'default': 7}}}); m.discover(); print(m.timings['gate'])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-c", code, str(root), str(cache)]
    subprocess.run(command, env={**env, "PYTHONDONTWRITEBYTECODE": "1"}, check=True, capture_output=True)
    env["PYTHONHASHSEED"] = "54321"
    done = subprocess.run(command, env={**env, "PYTHONDONTWRITEBYTECODE": "1"}, check=True, capture_output=True)
    assert done.stdout.decode().strip() == "0.0"


def test_a_host_point_added_before_discovery_is_seen(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    write(root / "c", '[plugin]\nid = "c"\nversion = "1.0"\n[[extensions]]\npoint = "extra"\nconfig = {}\n')
    build([root], cache).discover()
    manager = build([root], cache)
    manager.add_point("extra", config_schema={"properties": {"n": {"type": "integer", "default": 3}}})
    assert not started_warm(manager)
    assert [dict(h.config) for h in manager.extensions("extra")] == [{"n": 3}]
    again = build([root], cache)
    again.add_point("extra", config_schema={"properties": {"n": {"type": "integer", "default": 3}}})
    assert started_warm(again)
    assert [dict(h.config) for h in again.extensions("extra")] == [{"n": 3}]


def test_a_distribution_installed_on_sys_path_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache, site = tmp_path / "plugins", tmp_path / "cache", tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    write(root / "a", '[plugin]\nid = "a"\nversion = "1.0"\nrequires = ["snapshot-probe>=1"]\n')
    first = build([root], cache)
    assert first.report.plugins["a"].reason.code == "missing-requirement"  # type: ignore[union-attr]
    assert started_warm(build([root], cache))
    info = site / "snapshot_probe-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: snapshot-probe\nVersion: 1.2\n")
    installed = build([root], cache)
    assert not started_warm(installed)
    assert installed.report.plugins["a"].state == "resolved"


def test_another_sys_path_is_another_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache).discover()
    monkeypatch.syspath_prepend(str(tmp_path / "elsewhere"))
    assert not started_warm(build([root], cache))


def test_a_rescan_after_a_warm_start_sees_changes(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache).discover()
    warm = build([root], cache)
    assert started_warm(warm)
    write(root / "c", '[plugin]\nid = "c"\nversion = "1.0"\n')
    manifest = root / "a" / "plugin.toml"
    manifest.write_text(manifest.read_text().replace('"1.0"', '"2.0"'))
    result = warm.rescan()
    assert (result.added, result.changed) == (("c",), ("a",))
    assert warm.report.plugins["a"].version == "2.0"
    assert warm.load_order == ("a", "b", "c")


def test_bundles_and_callbacks_take_the_cold_path(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache, pre_activate=lambda manifest: True).discover()
    assert snapshots(cache) == []
    (root / "pack").mkdir()
    (root / "pack" / "bundle.toml").write_text("[bundle]\n")
    build([root], cache).discover()
    assert snapshots(cache) == []


# ---------------------------------------------------------------------------------------- a damaged snapshot
def damage_cases(original: bytes) -> dict[str, bytes]:
    from manifold.sources.sealed import HEADER

    flipped = bytearray(original)
    flipped[HEADER.size + len(original) // 2] ^= 0x10
    return {
        "empty": b"",
        "truncated": original[: len(original) // 2],
        "wrong magic": b"XXXXXXXX" + original[8:],
        "wrong checksum": original[: HEADER.size - 1]
        + bytes([original[HEADER.size - 1] ^ 1])
        + original[HEADER.size :],
        "a bit flipped": bytes(flipped),
    }


@pytest.mark.parametrize("case", ["empty", "truncated", "wrong magic", "wrong checksum", "a bit flipped"])
def test_a_damaged_snapshot_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    root, other, cache = tmp_path / "plugins", tmp_path / "more", tmp_path / "cache"
    rich_set(root, other)
    reference = view(build([root, other], cache))
    (path,) = snapshots(cache)
    path.write_bytes(damage_cases(path.read_bytes())[case])
    with caplog.at_level(logging.WARNING, logger="manifold"):
        again = build([root, other], cache)
        assert view(again) == reference
    assert not started_warm(again)
    (warning,) = [r.getMessage() for r in caplog.records if "snapshot" in r.getMessage()]
    assert warning.startswith(f"snapshot {path} ignored (")
    assert warning.endswith("); the plugins are read again")
    assert started_warm(build([root, other], cache))  # written again


def test_a_huge_snapshot_is_not_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from manifold.sources.sealed import MAX_CACHE_SIZE

    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache).discover()
    (path,) = snapshots(cache)
    with path.open("r+b") as file:
        file.truncate(MAX_CACHE_SIZE + 1)  # sparse
    with caplog.at_level(logging.WARNING, logger="manifold"):
        again = build([root], cache)
        assert not started_warm(again)
    assert f"more than the limit of {MAX_CACHE_SIZE}" in caplog.text
    assert again.load_order == ("a", "b")


def forge(path: Path, change: Any) -> None:
    """Rewrite the snapshot's payload with ``change(payload)`` and a checksum made anew (a forger's)."""
    import marshal

    from manifold.sources.sealed import HEADER, checksum

    raw = path.read_bytes()
    magic, version, _, context, _ = HEADER.unpack(raw[: HEADER.size])
    payload = marshal.dumps(change(marshal.loads(raw[HEADER.size :])))
    path.write_bytes(HEADER.pack(magic, version, len(payload), context, checksum(payload)) + payload)


def flip_first(blobs: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The blobs with the first one no longer marshal data."""
    return (bytes([blobs[0][0] ^ 0xFF]) + blobs[0][1:], *blobs[1:])


def damage(path: Path, *, manifests: bool = False, essentials: bool = False) -> None:
    """Forge the snapshot with plugin a's manifest blob and/or its essentials damaged."""
    forge(
        path,
        lambda saved: (
            *saved[:7],
            flip_first(saved[7]) if manifests else saved[7],
            flip_first(saved[8]) if essentials else saved[8],
        ),
    )


def test_a_damaged_manifest_blob_is_read_again_from_its_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    cold = build([root], cache)
    cold.discover()
    (path,) = snapshots(cache)
    damage(path, manifests=True)
    warm = build([root], cache)
    with caplog.at_level(logging.WARNING, logger="manifold"):
        assert started_warm(warm)
        info = warm.inspect("a")
        assert info.manifest == cold.inspect("a").manifest
    assert (info.state, info.reason) == ("resolved", None)
    assert f"snapshot {path} damaged: the manifest of a cannot be built from it (" in caplog.text
    assert "); it is read again from its file, and the next start reads every manifest again" in caplog.text
    assert not path.exists()
    assert warm.activate("b") is True
    assert not started_warm(build([root], cache))


def test_a_damaged_blob_whose_file_fails_too_leaves_its_plugin_out_with_a_reason(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache, settings={}).discover()
    (path,) = snapshots(cache)
    damage(path, manifests=True, essentials=True)
    warm = build([root], cache, settings={})
    assert started_warm(warm)
    (root / "a" / "plugin.toml").write_text("[plugin\n")  # changed after the start read its folders
    report = warm.activate_all()
    assert [(pid, info.state) for pid, info in report.plugins.items()] == [
        ("a", "filtered"),
        ("b", "unresolved"),
        ("missing", "filtered"),
    ]
    reason = report.plugins["a"].reason
    assert reason is not None
    assert reason.code == "invalid"
    assert reason.message.startswith(f"{root}/a/plugin.toml: its manifest in the cache is damaged (")
    assert "), and reading the file again failed: " in reason.message
    assert report.plugins["b"].reason.code == "dependency-unavailable"  # type: ignore[union-attr]
    assert warm.activate("b") is False


def test_damaged_essentials_are_taken_from_the_manifest(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache, settings={}).discover()
    (path,) = snapshots(cache)
    damage(path, essentials=True)
    warm = build([root], cache, settings={})
    assert started_warm(warm)
    report = warm.activate_all()
    assert [(pid, info.state) for pid, info in report.plugins.items()] == [
        ("a", "active"),
        ("b", "active"),
        ("missing", "filtered"),
    ]


def test_a_plugin_whose_code_ran_keeps_its_state_when_its_manifest_cannot_be_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache, settings={}).discover()
    (path,) = snapshots(cache)
    damage(path, manifests=True)
    warm = build([root], cache, settings={})
    assert warm.activate("a") is True  # from its essentials: the manifest is not built
    (root / "a" / "plugin.toml").unlink()
    with caplog.at_level(logging.WARNING, logger="manifold"):
        info = warm.inspect("a")
    assert (info.state, info.manifest) == ("active", None)
    assert f"snapshot {path} damaged: the manifest of a cannot be built from it (" in caplog.text


def test_a_blob_of_another_plugin_is_damage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache, settings={}).discover()
    (path,) = snapshots(cache)
    forge(path, lambda saved: (*saved[:7], tuple(reversed(saved[7])), saved[8]))
    warm = build([root], cache, settings={})
    assert started_warm(warm)
    with caplog.at_level(logging.WARNING, logger="manifold"):
        manifest = warm.inspect("a").manifest
    assert manifest is not None
    assert manifest.id == "a"  # read again from its file
    assert "(ValueError: it holds the manifest of 'b'); it is read again from its file" in caplog.text


def warm_from_forged(tmp_path: Path, change: Any) -> tuple[Manager, Path, list[Path], Path]:
    """A warm start of the rich set from its snapshot rewritten by ``change``; the snapshot's path, the sources
    and the cache folder."""
    sources, cache = [tmp_path / "plugins", tmp_path / "more"], tmp_path / "cache"
    rich_set(*sources)
    build(sources, cache).discover()
    (path,) = snapshots(cache)
    forge(path, change)
    warm = build(sources, cache)
    assert started_warm(warm)
    return warm, path, sources, cache


def test_damaged_points_leave_the_registry_without_them_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warm, path, sources, cache = warm_from_forged(
        tmp_path, lambda saved: (*saved[:6], b"\x00" + saved[6][1:], *saved[7:])
    )
    with caplog.at_level(logging.WARNING, logger="manifold"):
        assert warm.extensions("a.formats") == []
    assert f"snapshot {path} damaged: its points and extensions cannot be built (" in caplog.text
    assert list(warm.points()) == ["host.things"]
    assert not path.exists()
    assert view(build(sources, cache))["extensions"]["a.formats"]  # read again


def damage_group(point_id: str) -> Any:
    """A change of the snapshot that damages the extensions of ``point_id`` alone."""
    import marshal

    def change(saved: tuple[Any, ...]) -> tuple[Any, ...]:
        points, groups = marshal.loads(saved[6])
        groups = {**groups, point_id: b"\x00" + groups[point_id][1:]}
        return (*saved[:6], marshal.dumps((points, groups)), *saved[7:])

    return change


def test_damaged_extensions_of_one_point_leave_that_point_without_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warm, path, sources, cache = warm_from_forged(tmp_path, damage_group("a.formats"))
    assert [h.id for h in warm.extensions("host.things")] == ["thing"]  # read before the damaged point's
    with caplog.at_level(logging.WARNING, logger="manifold"):
        assert warm.extensions("a.formats") == []
    assert f"snapshot {path} damaged: its extensions cannot be built (" in caplog.text
    assert sorted(warm.points()) == ["a.formats", "host.things"]
    assert not path.exists()
    assert [h.id for h in build(sources, cache).extensions("a.formats")] == ["fancy", "own"]  # read again


def test_a_warm_start_builds_the_extensions_of_the_points_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import manifold.lifecycle.snapshot

    root, other, cache = tmp_path / "plugins", tmp_path / "more", tmp_path / "cache"
    rich_set(root, other)
    cold = view(build([root, other], cache))
    built: list[str] = []
    real = manifold.lifecycle.snapshot.handle_from

    def counted(values: Any, loader: Any) -> Any:
        handle = real(values, loader)
        built.append(handle.point)
        return handle

    monkeypatch.setattr(manifold.lifecycle.snapshot, "handle_from", counted)
    warm = build([root, other], cache)
    assert started_warm(warm)
    assert sorted(warm.points()) == ["a.formats", "host.things"]
    assert built == []  # the points alone
    assert [h.id for h in warm.extensions("host.things")] == ["thing"]
    assert built == ["host.things"]
    assert view(warm) == cold  # every other read builds the rest, as a cold start made them
    assert sorted(built) == ["a.formats", "a.formats", "host.things"]


@pytest.mark.parametrize(
    "change",
    [
        lambda saved: (*saved[:1], "records?", *saved[2:]),
        lambda saved: (*saved[:3], ("nobody",), *saved[4:]),
        lambda saved: saved[:5],
        lambda saved: [saved],
    ],
)
def test_a_malformed_payload_with_a_forged_checksum_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, change: Any
) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    small_set(root)
    build([root], cache).discover()
    (path,) = snapshots(cache)
    forge(path, change)
    with caplog.at_level(logging.WARNING, logger="manifold"):
        again = build([root], cache)
        assert again.load_order == ("a", "b")
    assert not started_warm(again)
    assert f"snapshot {path} ignored (damaged: " in caplog.text


# ---------------------------------------------------------------------------------------- what it imports
WARM = """
import sys
from manifold import Manager
before = set(sys.modules)
manager = Manager([sys.argv[1]], environ={}, cache_dir=sys.argv[2])
manager.discover()
print(manager.timings["gate"] == 0.0)
heavy = ("jsonschema", "networkx", "tomllib", "tomli", "manifold.manifest.read", "manifold.manifest.embedded")
heavy += ("manifold.sources.fanout", "importlib.metadata", "packaging")
print(sorted(name for name in sys.modules if name.partition(".")[0] in heavy or name in heavy))
"""


def test_a_warm_start_imports_no_reader_validator_or_graph_library(tmp_path: Path) -> None:
    root, cache = tmp_path / "plugins", tmp_path / "cache"
    write(
        root / "a", '[plugin]\nid = "a"\nversion = "1.0"\nrequires = ["packaging>=20"]\nmarkers = "os_name != \'x\'"\n'
    )
    write(root / "b", '[plugin]\nid = "b"\nversion = "1.0"\n[dependencies]\na = "*"\n')
    command = [sys.executable, "-c", WARM, str(root), str(cache)]
    subprocess.run(command, check=True, capture_output=True)
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    assert done.stdout.splitlines() == ["True", "[]"]


# ---------------------------------------------------------------------------------------- generated sets
plugin_ids = st.sampled_from(["p0", "p1", "p2", "p3", "p4"])
plugin = st.fixed_dictionaries(
    {
        "valid": st.booleans() | st.just(True),
        "deps": st.lists(plugin_ids | st.just("ghost"), max_size=2, unique=True),
        "optional": st.lists(plugin_ids | st.just("ghost"), max_size=2, unique=True),
        "point": st.booleans(),
        "extends": st.lists(plugin_ids, max_size=2, unique=True),
        "python": st.sampled_from([None, ">=3", "<3"]),
        "defaults": st.booleans(),
        "second_source": st.booleans(),
    }
)


def manifest_text(pid: str, spec: dict[str, Any]) -> str:
    lines = ["[plugin]", f'id = "{pid}"', f'version = "{"1.0" if spec["valid"] else "x"}"']
    if spec["python"]:
        lines.append(f'requires-python = "{spec["python"]}"')
    for table, names in (("dependencies", spec["deps"]), ("optional-dependencies", spec["optional"])):
        names = [n for n in names if n != pid]
        if names:
            lines += [f"[{table}]", *(f'{n} = "*"' for n in names)]
    if spec["defaults"]:
        lines += ["[settings-schema]", 'properties.level = { type = "integer", default = 2 }']
    if spec["point"]:
        lines += ["[[extension-points]]", f'id = "{pid}.point"']
        lines.append('config-schema = { properties.size = { type = "integer", default = 4 } }')
    for target in spec["extends"]:
        lines += ["[[extensions]]", f'point = "{target}.point"', f'id = "from-{pid}"', "config = { n = 1 }"]
    return "\n".join(lines) + "\n"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(plugin_ids, plugin, max_size=5), st.sampled_from([(), ("p1",), ("p0", "p3")]))
def test_generated_sets_start_warm_exactly_as_cold(specs: dict[str, dict[str, Any]], deny: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as scratch:
        root, other, cache = Path(scratch, "plugins"), Path(scratch, "more"), Path(scratch, "cache")
        root.mkdir(), other.mkdir()
        for pid, spec in specs.items():
            write((other if spec["second_source"] else root) / pid, manifest_text(pid, spec))
            if spec["second_source"] and spec["valid"]:
                write(root / f"{pid}-first", manifest_text(pid, {**spec, "extends": []}))
        try:
            reference = view(build([root, other], None, deny=list(deny)))
            first = view(build([root, other], cache, deny=list(deny)))
            warm = build([root, other], cache, deny=list(deny))
            assert view(warm) == first == reference
            assert started_warm(warm) == bool(snapshots(cache))
        finally:
            while OPEN:
                OPEN.pop().close()


# ---------------------------------------------------------------------------------------- the shipped examples
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "plugins").is_dir()))
def test_the_shipped_examples_start_warm_exactly_as_cold(tmp_path: Path, example: str) -> None:
    folder = EXAMPLES / example

    def start(**options: Any) -> Manager:
        if (folder / "manifold.toml").is_file():
            manager = Manager.from_config(folder / "manifold.toml", environ={}, **options)
        else:
            manager = Manager([folder / "plugins"], environ={}, **options)
        OPEN.append(manager)
        return manager

    reference = view(start(cache=False))
    first = view(start(cache_dir=tmp_path))
    warm = start(cache_dir=tmp_path)
    assert view(warm) == first == reference
    assert started_warm(warm)
