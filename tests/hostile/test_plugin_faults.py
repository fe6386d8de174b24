"""Fault injection: plugin code that raises BaseException subclasses, unprintable exceptions, objects whose
attribute lookups raise or answer everything, a plugin that changes the working folder, Ctrl-C during start.

Each case asserts what the host sees: the state and reason of the faulty plugin, and its good neighbour active.
"""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from manifold import Manager
from manifold.testing import PluginFolder

_counter = itertools.count()

EVENTS: list[str] = []
_JOURNAL = types.ModuleType("faults_journal")
_JOURNAL.EVENTS = EVENTS  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faults_journal", _JOURNAL)
    EVENTS.clear()


def add(folder: PluginFolder, plugin_id: str, code: str, *, activation: str = "eager", **fields: Any) -> str:
    """A plugin whose package holds ``code`` (its class is ``Plugin`` when ``code`` defines one)."""
    package = f"{plugin_id.replace('-', '_')}_{next(_counter)}"
    if "class Plugin" in code:
        fields["class"] = f"{package}:Plugin"
    folder.add(
        plugin_id,
        packages=[package],
        activation=activation,
        files={f"{package}/__init__.py": textwrap.dedent(code)},
        **fields,
    )
    return package


GOOD = """
import faults_journal

class Plugin:
    def activate(self):
        faults_journal.EVENTS.append("good active")
"""

# ----------------------------------------------------------------- BaseException and unprintable exceptions
UNPRINTABLE = """
class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no words")
"""

UNREPRESENTABLE = """
class Unrepresentable(Exception):
    def __str__(self):
        raise RuntimeError("no words")

    def __repr__(self):
        raise RuntimeError("no repr either")
"""

RAISING = [
    # (the statement, where it runs, the phase, the words after "bad failed in <phase>: ")
    ("import asyncio\nraise asyncio.CancelledError('stop')", "module", "import", "CancelledError: stop"),
    ("class Halt(BaseException): pass\nraise Halt('halt')", "module", "import", "Halt: halt"),
    ("raise SystemExit(2)", "module", "import", "SystemExit: 2"),
    ("raise GeneratorExit('gone')", "module", "import", "GeneratorExit: gone"),
    ("import asyncio\nraise asyncio.CancelledError()", "init", "construct", "CancelledError"),
    ("class Halt(BaseException): pass\nraise Halt('in init')", "init", "construct", "Halt: in init"),
    ("import asyncio\nraise asyncio.CancelledError('cancelled')", "activate", "activate", "CancelledError: cancelled"),
    ("class Halt(BaseException): pass\nraise Halt('custom')", "activate", "activate", "Halt: custom"),
    ("raise SystemExit('bye')", "activate", "activate", "SystemExit: bye"),
    (UNPRINTABLE + "raise Unprintable()", "activate", "activate", "Unprintable: <unprintable Unprintable>"),
    (
        UNREPRESENTABLE + "raise Unrepresentable()",
        "activate",
        "activate",
        "Unrepresentable: <unprintable Unrepresentable>",
    ),
    (UNPRINTABLE + "raise Unprintable()", "module", "import", "Unprintable: <unprintable Unprintable>"),
    (UNPRINTABLE + "raise Unprintable()", "init", "construct", "Unprintable: <unprintable Unprintable>"),
]


def _plugin_raising(statement: str, where: str) -> str:
    body = textwrap.indent(statement, " " * 8)
    if where == "module":
        return statement + "\n"
    method = "__init__(self)" if where == "init" else "activate(self)"
    return f"class Plugin:\n    def {method}:\n{body}\n"


@pytest.mark.parametrize("timeout", [None, 5.0])
@pytest.mark.parametrize(("statement", "where", "phase", "words"), RAISING)
def test_a_base_exception_or_an_unprintable_one_fails_only_its_plugin(
    manifold_plugins: PluginFolder, statement: str, where: str, phase: str, words: str, timeout: float | None
) -> None:
    add(manifold_plugins, "bad", _plugin_raising(statement, where))
    add(manifold_plugins, "needs-bad", GOOD, dependencies={"bad": "*"})
    add(manifold_plugins, "good", GOOD)
    manager = manifold_plugins.manager(timeout=timeout)
    report = manager.start()
    bad = report.plugins["bad"]
    assert bad.state == "failed"
    assert bad.reason is not None
    assert (bad.reason.code, bad.reason.phase) == ("failed", phase)
    assert bad.reason.message == f"bad failed in {phase}: {words}"
    assert bad.reason.traceback.startswith("Traceback (most recent call last)")
    assert report.plugins["needs-bad"].state == "unresolved"
    assert report.plugins["good"].state == "active"
    assert EVENTS == ["good active"]
    manager.close()


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_a_base_exception_in_deactivate_fails_the_plugin_and_close_goes_on(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    code = "import asyncio\nclass Plugin:\n    def deactivate(self):\n        raise asyncio.CancelledError('late')\n"
    add(manifold_plugins, "bad", code)
    add(
        manifold_plugins,
        "good",
        GOOD + "\n    def deactivate(self):\n        faults_journal.EVENTS.append('good off')\n",
    )
    manager = manifold_plugins.manager(timeout=timeout)
    manager.start()
    manager.close()
    info = manager.inspect("bad")
    assert (info.state, info.reason and info.reason.message) == (
        "failed",
        "bad failed in deactivate: CancelledError: late",
    )
    assert EVENTS == ["good active", "good off"]


def test_a_base_exception_from_a_lazy_extension_is_an_extension_error(manifold_plugins: PluginFolder) -> None:
    from manifold import ExtensionError

    code = "import asyncio\nclass Thing:\n    def __init__(self):\n        raise asyncio.CancelledError('no thing')\n"
    package = f"lazy_{next(_counter)}"
    manifold_plugins.add(
        "lazy",
        packages=[package],
        extension_points=[{"id": "things"}],
        extensions=[{"point": "things", "ref": f"{package}:Thing"}],
        files={f"{package}/__init__.py": code},
    )
    manager = manifold_plugins.manager()
    with pytest.raises(ExtensionError) as raised:
        manager.extension("things").load()
    assert str(raised.value) == f"loading {package}:Thing of lazy for things raised CancelledError: no thing"
    assert manager.extensions("things") == []


# ----------------------------------------------------------------- attribute probing of plugin objects
RAISING_GETATTR = """
import faults_journal

class Plugin:
    def activate(self):
        faults_journal.EVENTS.append("odd active")

    def __getattr__(self, name):
        raise RuntimeError(f"no {name} here")
"""

PERMISSIVE_GETATTR = """
import faults_journal

class Anything:
    def __call__(self, *args, **kwargs):
        return Anything()

    def __getattr__(self, name):
        return Anything()

class Plugin:
    def __getattr__(self, name):
        faults_journal.EVENTS.append(name)
        return Anything()
"""


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_an_object_whose_getattr_raises_cannot_break_close_health_or_settings(
    manifold_plugins: PluginFolder, timeout: float | None, caplog: pytest.LogCaptureFixture
) -> None:
    add(
        manifold_plugins,
        "odd",
        RAISING_GETATTR,
        settings_schema={"type": "object", "properties": {"level": {"type": "integer", "default": 1}}},
    )
    add(manifold_plugins, "good", GOOD)
    manager = manifold_plugins.manager(timeout=timeout)
    assert sorted(manager.start().active) == ["good", "odd"]
    assert manager.health() == {
        "odd": {"status": "error", "error": "RuntimeError: no health here"},
        "good": {"status": "ok"},
    }
    with caplog.at_level(logging.ERROR, logger="manifold"):
        assert dict(manager.update_settings("odd", {"level": 2})) == {"level": 2}
    assert "odd: settings_changed raised RuntimeError: no settings_changed here" in caplog.messages
    manager.close()
    info = manager.inspect("odd")
    assert (info.state, info.reason and info.reason.message) == (
        "failed",
        "odd failed in deactivate: RuntimeError: no deactivate here",
    )
    assert manager.inspect("good").state == "inactive"


def test_an_object_whose_getattr_raises_for_activate_fails_in_activate(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "odd", RAISING_GETATTR.replace("def activate", "def _unused"))
    add(manifold_plugins, "good", GOOD)
    report = manifold_plugins.manager().start()
    reason = report.plugins["odd"].reason
    assert reason is not None
    assert reason.message == "odd failed in activate: RuntimeError: no activate here"
    assert report.plugins["good"].state == "active"


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_an_object_answering_every_attribute_is_not_taken_for_an_awaitable(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    add(manifold_plugins, "null", PERMISSIVE_GETATTR)
    add(manifold_plugins, "good", GOOD)
    manager = manifold_plugins.manager(timeout=timeout)
    assert sorted(manager.start().active) == ["good", "null"]
    health = manager.health()
    assert health["null"]["status"] == "ok"
    assert health["good"] == {"status": "ok"}
    manager.update_settings("null", {})
    manager.close()
    assert manager.inspect("null").state == "inactive"
    assert [e for e in EVENTS if e != "good active"] == [
        "activate",
        "health",
        "settings_changed",
        "deactivate",
        "teardown",
    ]


def test_a_health_check_returning_a_mapping_that_raises_is_an_error(manifold_plugins: PluginFolder) -> None:
    code = """
    from collections.abc import Mapping

    class Broken(Mapping):
        def __getitem__(self, key):
            raise KeyError(key)
        def __iter__(self):
            raise ValueError("cannot list")
        def __len__(self):
            return 1

    class Plugin:
        def health(self):
            return Broken()
    """
    add(manifold_plugins, "odd", code)
    add(manifold_plugins, "good", GOOD)
    manager = manifold_plugins.manager()
    manager.start()
    assert manager.health() == {
        "odd": {"status": "error", "error": "ValueError: cannot list"},
        "good": {"status": "ok"},
    }


# ----------------------------------------------------------------- the working folder
def test_a_plugin_changing_the_working_folder_breaks_no_later_lazy_plugin(
    plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    wanderer = f"wanderer_{next(_counter)}"
    lazy = f"lazy_{next(_counter)}"
    for pid, package, activation, code in (
        (
            "wanderer",
            wanderer,
            "eager",
            f"import os\nclass Plugin:\n    def activate(self):\n        os.chdir({str(elsewhere)!r})\n",
        ),
        ("lazy", lazy, "lazy", "def hello():\n    return 'hello'\n"),
    ):
        folder = plugins / pid
        (folder / package).mkdir(parents=True)
        (folder / package / "__init__.py").write_text(code)
        klass = f'class = "{package}:Plugin"\n' if "Plugin" in code else ""
        extensions = f'\n[[extensions]]\npoint = "greetings"\nref = "{package}:hello"\n' if pid == "lazy" else ""
        points = '\n[[extension-points]]\nid = "greetings"\n' if pid == "wanderer" else ""
        (folder / "plugin.toml").write_text(
            f'[plugin]\nid = "{pid}"\nversion = "1.0"\npackages = ["{package}"]\nactivation = "{activation}"\n'
            f"{klass}{points}{extensions}"
        )
    with Manager(["plugins"], cache=False) as manager:  # a relative source, as a host gives it
        manager.start()
        assert Path.cwd() == elsewhere
        assert manager.extension("greetings").load()() == "hello"
        assert manager.inspect("lazy").state == "active"
        assert manager.inspect("lazy").source == "plugins"
        assert manager.inspect("lazy").manifest.file == "plugins/lazy/plugin.toml"  # type: ignore[union-attr]
    monkeypatch.chdir(tmp_path)


# ----------------------------------------------------------------- Ctrl-C
CTRL_C_HOST = """
import os, signal, sys, threading, time
from pathlib import Path

from manifold import Manager

root = Path(sys.argv[1])
events = root / "events.txt"
KINDS = {
    "signal": "os.kill(os.getpid(), signal.SIGINT)",  # to the process: the system picks the thread
    "signal-to-worker": "signal.pthread_kill(threading.get_ident(), signal.SIGINT)",  # to the plugin's thread
    "raise": "raise KeyboardInterrupt",
}
for index, pid in enumerate(["a-first", "b-second", "c-third"]):
    package = pid.replace("-", "_")
    code = f'''
from pathlib import Path
import os, signal, threading, time

class Plugin:
    def activate(self):
        with open({str(events)!r}, "a") as out:
            out.write("{pid}\\\\n")
        if "{pid}" == "a-first":
            {KINDS[sys.argv[2]]}
            time.sleep(3.0)  # the host is interrupted meanwhile (time enough on a loaded machine)
'''
    folder = root / "plugins" / pid
    (folder / package).mkdir(parents=True)
    (folder / package / "__init__.py").write_text(code)
    (folder / "plugin.toml").write_text(
        f'[plugin]\\nid = "{pid}"\\nversion = "1.0"\\npackages = ["{package}"]\\nclass = "{package}:Plugin"\\n'
        'activation = "eager"\\n'
    )
manager = Manager([root / "plugins"], cache=False, timeout=None if sys.argv[3] == "none" else 5.0)
try:
    manager.start()
except KeyboardInterrupt:
    print("interrupted")
manager.close()  # an idle worker ends; an abandoned one ends when the plugin code it runs returns
for thread in threading.enumerate():  # what the worker would still run, it runs now
    if thread is not threading.current_thread():
        thread.join(5)
print(events.read_text().split())
"""


@pytest.mark.parametrize(
    ("how", "timeout"), [("signal", "5"), ("signal-to-worker", "5"), ("raise", "5"), ("raise", "none")]
)
def test_after_ctrl_c_during_start_no_further_plugin_code_runs(tmp_path: Path, how: str, timeout: str) -> None:
    script = tmp_path / "host.py"
    script.write_text(CTRL_C_HOST)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), how, timeout],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["interrupted", "['a-first']"]
