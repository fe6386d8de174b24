"""Discovery and validation pause the garbage collector, and always leave it as they found it."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import WritePlugin

from manifold import Manager, validate
from manifold.sources.gcpause import paused

PROBE = """
import gc


class Plugin:
    def activate(self):
        self.gc = gc.isenabled()
"""


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_paused_turns_the_collector_off_and_back_on() -> None:
    with paused():
        assert not gc.isenabled()
        with paused():  # nested: the inner block leaves it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_paused_leaves_a_collector_that_was_off_off_and_turns_it_on_after_an_error() -> None:
    gc.disable()
    with paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
    with pytest.raises(ValueError, match="boom"), paused():
        raise ValueError("boom")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_discovery_and_validation_pause_it_and_plugin_code_runs_with_it_on(
    write_plugin: WritePlugin, plugins: Path
) -> None:
    write_plugin(
        "probe",
        """
        [plugin]
        id = "probe"
        version = "1.0"
        packages = ["gc_probe"]
        class = "gc_probe:Plugin"
        """,
        files={"gc_probe/__init__.py": PROBE},
    )
    seen: list[bool] = []
    import manifold.manifest.read

    real = manifold.manifest.read.check_semantics

    def spy(*args: object) -> object:
        seen.append(gc.isenabled())
        return real(*args)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifold.manifest.read, "check_semantics", spy)
        assert validate([plugins]).ok
        manager = Manager([plugins], environ={}, cache=False, timeout=None)
        manager.discover()
    assert seen == [False, False]
    assert gc.isenabled()
    manager.activate("probe")
    assert manager.plugin("probe").gc is True
    manager.close()


INTERPRETER_FREEZES_AT_START_UP = sys.version_info[:2] == (3, 12)
"""CPython 3.12 starts with objects of its own in the permanent generation; 3.11 and 3.13 with none."""


def test_what_the_interpreter_freezes_at_start_up_on_this_version() -> None:
    # The assumption paused() rests on, checked on each Python the suite runs on: a new one fails here first.
    code = "import gc; print(gc.get_freeze_count())"
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert (int(done.stdout) > 0) is INTERPRETER_FREEZES_AT_START_UP, done.stdout


@pytest.mark.usefixtures("collector_on")
def test_what_a_long_lived_pause_built_ends_in_the_oldest_generation() -> None:
    frozen = gc.get_freeze_count()
    assert (frozen > 0) is INTERPRETER_FREEZES_AT_START_UP
    with paused(long_lived=True):
        built = [[index] for index in range(1000)]
    assert gc.get_freeze_count() == frozen  # what was frozen stays frozen: on 3.12, the interpreter's own
    if INTERPRETER_FREEZES_AT_START_UP:
        return  # moving them would have thawed the interpreter's objects: they stay young
    assert gc.get_count()[0] < 100  # the youngest generation starts again from (nearly) nothing
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in built)
    with paused():
        young = [[index] for index in range(1000)]
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert not any(id(item) in oldest for item in young)


@pytest.mark.usefixtures("collector_on")
def test_a_long_lived_pause_leaves_what_the_host_froze_frozen() -> None:
    kept = [[index] for index in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused(long_lived=True):
            built = [[index] for index in range(100)]
        assert gc.get_freeze_count() == frozen
        oldest = {id(o) for o in gc.get_objects(generation=2)}
        assert not any(id(item) in oldest for item in built + kept)
    finally:
        gc.unfreeze()


@pytest.mark.usefixtures("collector_on")
def test_what_validation_returns_ends_in_the_oldest_generation(write_plugin: WritePlugin) -> None:
    folder = write_plugin("a", '[plugin]\nid = "acme.a"\nversion = "1.0"\n')
    report = validate([folder], check_code=False, jobs=1)
    assert gc.isenabled()
    if INTERPRETER_FREEZES_AT_START_UP or gc.get_freeze_count():
        return  # nothing is moved then (see test_what_a_long_lived_pause_built_ends_in_the_oldest_generation)
    (manifest,) = report.manifests
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(manifest) in oldest


EXIT_HOST = """
import atexit, gc, sys
from manifold import Manager

class Cycle:
    def __init__(self):
        self.me = self
    def __del__(self):
        print("finalized", flush=True)

managers = [Manager([sys.argv[1]], environ={{}}, cache=False) for _ in range(2)]
before = atexit._ncallbacks()
{start}
print("handlers", atexit._ncallbacks() - before, flush=True)
{extra}
Cycle()  # garbage only a collection frees
"""


@pytest.mark.parametrize(
    ("start", "extra", "output"),
    [
        ("pass", "", "handlers 0\nfinalized\n"),  # no start: the exit is as it was
        ("for m in managers: m.discover()", "", "handlers 1\n"),  # once, whatever the number of managers
        ("for m in managers: m.discover()", "atexit.register(gc.collect)", "handlers 1\nfinalized\n"),
    ],
    ids=["no-start", "started", "host-collects-at-exit"],
)
def test_a_started_host_exits_without_the_final_collection_walking_every_object(
    write_plugin: WritePlugin, plugins: Path, start: str, extra: str, output: str
) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1.0"\n')
    code = EXIT_HOST.format(start=start, extra=extra)
    done = subprocess.run([sys.executable, "-c", code, str(plugins)], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == output
