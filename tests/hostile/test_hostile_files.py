"""Hostile manifests and folders: one bad file (too deep, too big, too many problems, unreadable, or one
that makes manifold itself fail) is a diagnostic of that file, and its neighbours are read and load."""

from __future__ import annotations

import os
import textwrap
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from manifold import Diagnostic, HostConfig, Manager, ManifestLimits, load_config, validate

PLUGINS = Path("plugins")  # the fixture makes it in the current folder: messages say plugins/...
GOOD = '[plugin]\nid = "good"\nversion = "1.0"\nactivation = "eager"\n'


def folder_with(plugins: Path, name: str, text: str | bytes) -> Path:
    """``plugins/good`` (an eager plugin without code) and ``plugins/<name>/plugin.toml`` holding ``text``."""
    (plugins / "good").mkdir(exist_ok=True)
    (plugins / "good" / "plugin.toml").write_text(GOOD)
    (plugins / name).mkdir()
    manifest = plugins / name / "plugin.toml"
    if isinstance(text, bytes):
        manifest.write_bytes(text)
    else:
        manifest.write_text(text, encoding="utf-8")
    return manifest


OPEN: list[Manager] = []


@pytest.fixture(autouse=True)
def _close_managers() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def started(plugins: Path, **options: Any) -> Manager:
    manager = Manager([PLUGINS], environ={}, cache=False, **options)
    OPEN.append(manager)
    manager.start()
    return manager


def head(plugin_id: str = "deep") -> str:
    return f'[plugin]\nid = "{plugin_id}"\nversion = "1.0"\n'


# -- nesting ---------------------------------------------------------------------------------------


def arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def tables(depth: int) -> str:
    return "{a = " * depth + "1" + "}" * depth


def mixed(depth: int) -> str:
    return "[{a = " * (depth // 2) + "1" + "}]" * (depth // 2)


NESTED = {
    # name: (manifest text, line of the limit diagnostic)
    "arrays 1200 deep in [plugin]": (head() + f"x = {arrays(1200)}\n", 4),
    "arrays 5000 deep": (head() + f"x = {arrays(5000)}\n", 4),
    "tables 1200 deep": (head() + f"x = {tables(1200)}\n", 4),
    "arrays and tables 2000 deep": (head() + f"x = {mixed(2000)}\n", 4),
    "arrays 65 deep in an extension config": (
        head() + '[[extensions]]\npoint = "a.b"\n' + f"config = {{ v = {arrays(70)} }}\n",
        6,
    ),
    "tables 1000 deep in settings-schema": (head() + f"[settings-schema]\nproperties = {tables(1000)}\n", 5),
    "a config-schema 1200 deep": (
        head() + '[[extension-points]]\nid = "deep.p"\n' + f"config-schema = {{ items = {tables(1200)} }}\n",
        6,
    ),
    "dotted keys 100 deep": (head() + "x" + ".x" * 100 + " = 1\n", 4),
    "a table header 100 deep": (head() + "[" + ".".join(["t"] * 100) + "]\nk = 1\n", 4),
}


@pytest.mark.parametrize("name", list(NESTED))
def test_a_manifest_nested_too_deep_is_refused_at_its_line(plugins: Path, name: str) -> None:
    text, line = NESTED[name]
    folder_with(plugins, "deep", text)
    report = validate([PLUGINS], check_code=False)
    (diagnostic,) = report.diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == ("limit", "plugins/deep/plugin.toml", line)
    assert "more than 64 levels deep, the limit" in diagnostic.message
    assert [m.id for m in report.manifests] == ["good"]
    manager = started(plugins)
    assert manager.report.active == ["good"]
    (record,) = [info for info in manager.report.plugins.values() if info.id != "good"]
    assert (record.state, record.reason.code) == ("filtered", "invalid")  # type: ignore[union-attr]


def test_the_nesting_limit_is_the_documented_one_and_configurable(plugins: Path) -> None:
    manifest = folder_with(plugins, "deep", head() + f"x = {arrays(62)}\n")  # 64 with the document and x
    assert validate([manifest], check_code=False).codes() == ["unknown-key"]
    manifest.write_text(head() + f"x = {arrays(63)}\n")
    assert validate([manifest], check_code=False).codes() == ["limit"]
    assert validate([manifest], check_code=False, limits=ManifestLimits(max_depth=70)).codes() == ["unknown-key"]


def test_a_deep_bundle_member_is_refused_and_the_bundle_file_reports_it(plugins: Path) -> None:
    (plugins / "b").mkdir()
    text = '[bundle]\nid = "b"\nversion = "1.0"\n[[plugins]]\npath = "."\nid = "m1"\nversion = "1.0"\n'
    text += f"tags = {arrays(1500)}\n"
    (plugins / "b" / "bundle.toml").write_text(text)
    (plugins / "good").mkdir()
    (plugins / "good" / "plugin.toml").write_text(GOOD)
    report = validate([PLUGINS], check_code=False)
    assert [(d.code, d.file, d.line) for d in report.diagnostics] == [("limit", "plugins/b/bundle.toml", 8)]
    assert started(plugins).report.active == ["good"]


# -- size and the number of problems ---------------------------------------------------------------


def test_a_1_gib_manifest_is_refused_after_reading_at_most_the_limit(plugins: Path) -> None:
    manifest = folder_with(plugins, "big", b"")
    with manifest.open("wb") as file:
        file.write(head("big").encode())
        file.truncate(1 << 30)  # a sparse GiB of NUL bytes: cheap to write, ruinous to read whole
    tracemalloc.start()
    try:
        began = time.perf_counter()
        report = validate([PLUGINS], check_code=False)
        manager = started(plugins)
        took = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.format() for d in report.diagnostics] == [
        "plugins/big/plugin.toml: error[limit]: the manifest is larger than 1048576 bytes, the limit for one file; "
        "it is not read"
    ]
    assert manager.report.active == ["good"]
    assert peak < 32 << 20
    assert took < 10


@pytest.mark.parametrize(("limit", "size", "refused"), [(100, 100, False), (100, 101, True), (1 << 20, 5000, False)])
def test_the_size_limit_is_configurable(plugins: Path, limit: int, size: int, refused: bool) -> None:
    text = head("sized") + "#" * (size - len(head("sized")) - 1) + "\n"
    manifest = folder_with(plugins, "sized", text)
    assert manifest.stat().st_size == size
    report = validate([manifest], check_code=False, limits=ManifestLimits(max_size=limit))
    assert report.codes() == (["limit"] if refused else [])
    manager = started(plugins, manifest_limits=ManifestLimits(max_size=limit))
    assert manager.report.plugins["good"].state == "active"
    assert ("sized" in manager.report.plugins) is not refused


def test_100000_unknown_keys_give_a_short_report(plugins: Path) -> None:
    keys = "".join(f"k{i}=1\n" for i in range(100_000))
    folder_with(plugins, "keys", head("keys") + keys)
    began = time.perf_counter()
    report = validate([PLUGINS], check_code=False)
    assert time.perf_counter() - began < 15
    assert len(report.diagnostics) == 101
    assert report.diagnostics[0].format() == (
        "plugins/keys/plugin.toml:4:1: error[unknown-key]: plugin.k0: unknown key; known keys: id, version, name, "
        "description, license, homepage, authors, tags, requires-api, requires-app, requires-python, target, "
        "markers, requires, packages, distribution, source-root, class, activation"
    )
    assert report.diagnostics[-1].format() == (
        "plugins/keys/plugin.toml: error[limit]: 99900 more problems of this file are left out: "
        "at most 100 are reported"
    )
    assert len(report.to_json()) < 60_000
    manager = started(plugins)
    assert manager.report.active == ["good"]
    assert manager.report.plugins["keys"].reason.code == "invalid"  # type: ignore[union-attr]
    assert len(manager.report.diagnostics) == 101


@pytest.mark.parametrize(("limit", "problems", "kept", "counted"), [(1, 3, 1, 2), (3, 3, 3, 0), (2, 4, 2, 2)])
def test_the_diagnostics_limit_is_configurable(
    plugins: Path, limit: int, problems: int, kept: int, counted: int
) -> None:
    manifest = folder_with(plugins, "keys", head("keys") + "".join(f"x{i} = 1\n" for i in range(problems)))
    report = validate([manifest], check_code=False, limits=ManifestLimits(max_diagnostics=limit))
    assert report.codes() == ["unknown-key"] * kept + (["limit"] if counted else [])
    if counted:
        noun = "problem of this file is" if counted == 1 else "problems of this file are"
        assert report.diagnostics[-1].message == f"{counted} more {noun} left out: at most {limit} are reported"


@pytest.mark.parametrize("value", [0, -1, 1.5, "64", None])
def test_a_limit_must_be_a_positive_integer(value: object) -> None:
    with pytest.raises(ValueError, match=r"ManifestLimits\.max_depth must be a positive integer"):
        ManifestLimits(max_depth=value)  # type: ignore[arg-type]


def test_hosts_set_the_limits_in_code_and_in_manifold_toml(tmp_path: Path) -> None:
    assert HostConfig.build(manifest_limits={"max-depth": 8}).manifest_limits == ManifestLimits(max_depth=8)
    (tmp_path / "manifold.toml").write_text("manifest-limits = { max-size = 4096, max-diagnostics = 5 }\n")
    options = load_config(tmp_path / "manifold.toml", environ={}).options
    config = HostConfig.build(**{k: v for k, v in options.items() if k not in ("environ", "sources")})
    assert config.manifest_limits == ManifestLimits(max_size=4096, max_diagnostics=5)
    with pytest.raises(ValueError, match=r"manifest_limits: unknown limit max_files; the limits are max_depth"):
        HostConfig.build(manifest_limits={"max-files": 8})


# -- the firewall: a failure inside manifold is one file's ------------------------------------------------


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no words")


FAULTS: dict[str, Callable[[], BaseException]] = {
    "RuntimeError": lambda: RuntimeError("boom"),
    "RecursionError": lambda: RecursionError("maximum recursion depth exceeded"),
    "KeyError": lambda: KeyError("x"),
    "an exception whose str() raises": Unprintable,
    "MemoryError": MemoryError,
}
WORDS = {
    "RuntimeError": "RuntimeError: boom",
    "RecursionError": "RecursionError: maximum recursion depth exceeded",
    "KeyError": "KeyError: 'x'",
    "an exception whose str() raises": "Unprintable: <unprintable Unprintable>",
    "MemoryError": "MemoryError",
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failure_while_checking_one_manifest_is_that_manifests_diagnostic(
    plugins: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    import manifold.manifest.read as reader

    folder_with(plugins, "bad", head("bad"))
    checks = reader.check_semantics

    def failing(data: Any, root: Any) -> Any:
        if data["plugin"]["id"] == "bad":
            raise FAULTS[fault]()
        return checks(data, root)

    monkeypatch.setattr(reader, "check_semantics", failing)
    report = validate([PLUGINS], check_code=False)
    assert [d.format() for d in report.diagnostics] == [
        f"plugins/bad/plugin.toml: error[internal-error]: manifold failed while reading or checking this file "
        f"({WORDS[fault]}); the file is not used"
    ]
    assert [m.id for m in report.manifests] == ["good"]
    manager = started(plugins)
    assert manager.report.active == ["good"]
    assert manager.report.plugins["plugins/bad/plugin.toml"].reason.code == "invalid"  # type: ignore[union-attr]


def test_a_failure_in_one_bundle_member_is_that_members(plugins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import manifold.manifest.bundle as bundles

    (plugins / "b").mkdir()
    (plugins / "b" / "bundle.toml").write_text(
        textwrap.dedent(
            """\
            [bundle]
            id = "b"
            version = "1.0"
            [[plugins]]
            path = "."
            id = "m1"
            version = "1.0"
            activation = "eager"
            [[plugins]]
            path = "."
            id = "m2"
            version = "1.0"
            """
        )
    )
    checks = bundles.check_plugin_data

    def failing(data: Any, root: Any) -> Any:
        if data["plugin"]["id"] == "m2":
            raise RuntimeError("boom")
        return checks(data, root)

    monkeypatch.setattr(bundles, "check_plugin_data", failing)
    report = validate([PLUGINS], check_code=False)
    assert report.codes() == ["internal-error"]
    assert [m.id for m in report.manifests] == ["m1"]
    manager = started(plugins)
    assert manager.report.active == ["m1"]
    assert manager.report.plugins["m2"].reason.code == "invalid"  # type: ignore[union-attr]


def test_a_failure_while_opening_an_archive_refuses_that_archive(
    plugins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import manifold.sources.scan as scan

    folder_with(plugins, "x", head("x"))
    (plugins / "x.mfz").write_bytes(b"PK")

    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(scan, "open_archive", failing)
    report = validate([PLUGINS], check_code=False)
    assert [d.format() for d in report.diagnostics] == [
        "plugins/x.mfz: error[internal-error]: manifold failed while reading or checking this file "
        "(OSError: [Errno 5] Input/output error); the file is not used"
    ]
    assert started(plugins).report.plugins["good"].state == "active"


class BrokenSource:
    name = "broken"

    def manifests(self) -> list[Any]:
        raise RuntimeError("the network share is gone")


def test_a_source_that_raises_is_a_source_warning(plugins: Path) -> None:
    folder_with(plugins, "x", head("x"))
    manager = Manager([BrokenSource(), PLUGINS], environ={}, cache=False)
    OPEN.append(manager)
    manager.start()
    assert manager.report.active == ["good"]
    assert [d.format() for d in manager.report.diagnostics] == [
        "broken: warning[source]: broken: cannot be read (RuntimeError: the network share is gone)"
    ]


def test_a_failure_while_scanning_code_is_that_plugins(plugins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import manifold.validation as validation

    folder_with(plugins, "x", head("x"))
    scan = validation.scan_plugin

    def failing(parsed: Any) -> Any:
        if parsed.plugin_id == "x":
            raise RuntimeError("boom")
        return scan(parsed)

    monkeypatch.setattr(validation, "scan_plugin", failing)
    report = validate([PLUGINS])
    assert [(d.code, d.file, d.plugin) for d in report.diagnostics] == [
        ("internal-error", "plugins/x/plugin.toml", "x")
    ]
    assert [m.id for m in report.manifests] == ["good"]


# -- folders that cannot be read ---------------------------------------------------------------------


def deny(monkeypatch: pytest.MonkeyPatch, folder: Path, *, enter: bool) -> None:
    """Make ``folder`` unreadable, as ``chmod`` does for a user other than root: not listable, and (when
    ``enter`` is False) nothing in it can be looked up either."""
    real_scandir, real_stat = os.scandir, os.stat
    denied = os.path.abspath(folder)

    def scandir(path: Any = ".") -> Any:
        if isinstance(path, str | os.PathLike) and os.path.abspath(path) == denied:
            raise PermissionError(13, "Permission denied", denied)
        return real_scandir(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        if not enter and isinstance(path, str | os.PathLike) and os.path.abspath(path).startswith(denied + os.sep):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)


def test_a_drop_in_folder_that_cannot_be_listed(plugins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder_with(plugins, "x", head("x"))
    other = plugins.parent / "other"
    other.mkdir()
    deny(monkeypatch, other, enter=True)
    report = validate([Path("other"), PLUGINS], check_code=False)
    assert [d.format() for d in report.diagnostics] == [
        "other: error[read-error]: cannot read the folder: Permission denied"
    ]
    assert sorted(m.id for m in report.manifests) == ["good", "x"]
    manager = Manager([Path("other"), PLUGINS], environ={}, cache=False)
    OPEN.append(manager)
    manager.start()
    assert manager.report.active == ["good"]
    assert [d.format() for d in manager.report.diagnostics] == [
        "other: warning[source]: other: cannot read the folder: Permission denied"
    ]


def test_a_plugin_folder_that_cannot_be_entered_is_reported(plugins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder_with(plugins, "locked", head("locked"))
    deny(monkeypatch, plugins / "locked", enter=False)
    report = validate([PLUGINS], check_code=False)
    assert [d.format() for d in report.diagnostics] == [
        "plugins/locked: error[read-error]: cannot read the folder: Permission denied"
    ]
    manager = started(plugins)
    assert manager.report.active == ["good"]
    locked = manager.report.plugins["plugins/locked"]
    assert (locked.state, locked.reason.code) == ("filtered", "invalid")  # type: ignore[union-attr]
    assert locked.reason.message.endswith("cannot read the folder: Permission denied")  # type: ignore[union-attr]


def test_a_manifest_that_cannot_be_read(plugins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = folder_with(plugins, "x", head("x"))
    real_open = Path.open

    def opener(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == manifest or self.resolve() == manifest.resolve():
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", opener)
    report = validate([PLUGINS], check_code=False)
    assert [d.format() for d in report.diagnostics] == [
        "plugins/x/plugin.toml: error[read-error]: cannot read the manifest: Permission denied"
    ]
    assert started(plugins).report.active == ["good"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_chmod_000_folders(plugins: Path) -> None:
    folder_with(plugins, "locked", head("locked"))
    (plugins / "locked").chmod(0)
    try:
        report = validate([PLUGINS], check_code=False)
        assert [(d.code, d.file) for d in report.diagnostics] == [("read-error", "plugins/locked")]
        assert started(plugins).report.active == ["good"]
    finally:
        (plugins / "locked").chmod(0o755)


def test_diagnostics_read_back_from_a_report_are_equal() -> None:
    d = Diagnostic("error", "limit", "2 more problems of this file are left out: at most 1 are reported", "f")
    assert Diagnostic.from_dict(d.to_dict()) == d
