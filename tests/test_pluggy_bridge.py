"""The pluggy bridge: a pubtools-style pluggy host gets the same answers from manifest plugins through
its own PluginManager as from native manifold hooks."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pluggy
import pytest

from manifold import Manager
from manifold.pluggy import register
from manifold.testing import PluginFolder

HOST = '''
"""A pluggy host in the style of pubtools: hookspecs, a PluginManager, a log the plugins write to."""
import pluggy

hookspec = pluggy.HookspecMarker("kettle")
hookimpl = pluggy.HookimplMarker("kettle")
LOG = []


class Specs:
    @hookspec
    def task_start(self):
        """A task starts."""

    @hookspec
    def task_stop(self, failed):
        """The task ended; failed says whether it failed."""

    @hookspec
    def kettle_on(self, kettle, temperature):
        """A kettle was switched on; return a message."""

    @hookspec(firstresult=True)
    def get_cert_key_paths(self, server_url):
        """(cert, key) paths for the server; the implementation registered last answers first."""


pm = pluggy.PluginManager("kettle")
pm.add_hookspecs(Specs)
'''

# The pluggy plugins: hook implementations on a module (named as an attribute of the package),
# on an object, and the stateful handler registered on task_start and removed on task_stop.
COUNTER = {
    "kettle_counter/__init__.py": "from . import hooks\n",
    "kettle_counter/hooks.py": """
        from kettle_host import LOG, hookimpl, pm


        class KettleCounter:
            '''The stateful handler: registered for the duration of a task.'''

            def __init__(self):
                self.count = 0

            @hookimpl
            def kettle_on(self, kettle):
                self.count += 1
                return f"kettle #{self.count}: {kettle}"


        @hookimpl
        def task_start():
            pm.register(KettleCounter(), name="kettle-counter")


        @hookimpl
        def task_stop(failed):
            handler = pm.unregister(name="kettle-counter")
            LOG.append(f"{handler.count} kettles, failed={failed}")
    """,
}
ANNOUNCER = {
    "kettle_announcer/__init__.py": """
        from kettle_host import hookimpl


        class Announcer:
            @hookimpl
            def kettle_on(self, kettle, temperature):
                return f"{kettle} on at {temperature}" if temperature >= 90 else None


        HOOKS = Announcer()
    """,
}
CERTS = {
    "kettle_certs/__init__.py": """
        from kettle_host import hookimpl


        class DefaultCerts:
            @hookimpl
            def get_cert_key_paths(self, server_url):
                return ("default.crt", "default.key")
    """,
}
CORP_CERTS = {
    "kettle_corp_certs/__init__.py": """
        from kettle_host import hookimpl


        class CorpCerts:
            @hookimpl
            def get_cert_key_paths(self, server_url):
                return ("corp.crt", "corp.key") if "corp" in server_url else None
    """,
}

# The same plugins as native manifold hooks: no pluggy, no registration; the state lives in an object.
NATIVE_COUNTER = {
    "native_counter/__init__.py": """
        from kettle_host import LOG


        class KettleCounter:
            def __init__(self):
                self.count = 0

            def kettle_on(self, kettle):
                self.count += 1
                return f"kettle #{self.count}: {kettle}"


        class Session:
            '''Holds a KettleCounter from task_start to task_stop.'''

            handler = None

            def task_start(self):
                self.handler = KettleCounter()

            def kettle_on(self, kettle):
                return None if self.handler is None else self.handler.kettle_on(kettle)

            def task_stop(self, failed):
                LOG.append(f"{self.handler.count} kettles, failed={failed}")
                self.handler = None


        SESSION = Session()
    """,
}
NATIVE_ANNOUNCER = {
    "native_announcer/__init__.py": """
        def kettle_on(kettle, temperature):
            return f"{kettle} on at {temperature}" if temperature >= 90 else None
    """,
}
NATIVE_CERTS = {
    "native_certs/__init__.py": """
        def default(server_url):
            return ("default.crt", "default.key")


        def corp(server_url):
            return ("corp.crt", "corp.key") if "corp" in server_url else None
    """,
}

Call = Callable[..., Any]


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = ModuleType("kettle_host")
    exec(compile(HOST, "kettle_host.py", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "kettle_host", module)
    return module


def pluggy_plugins(folder: PluginFolder) -> None:
    def add(plugin_id: str, files: dict[str, str], ref: str) -> None:
        package = next(iter(files)).partition("/")[0]
        folder.add(plugin_id, packages=[package], files=files, extensions=[{"point": "pluggy", "ref": ref}])

    add("kettle.announcer", ANNOUNCER, "kettle_announcer:HOOKS")  # an object
    add("kettle.certs", CERTS, "kettle_certs:DefaultCerts")  # a class: one instance, built with the context
    add("kettle.certs-corp", CORP_CERTS, "kettle_corp_certs:CorpCerts")
    add("kettle.counter", COUNTER, "kettle_counter:hooks")  # a module, imported by its package


def native_plugins(folder: PluginFolder) -> None:
    folder.add(
        "native.counter",
        packages=["native_counter"],
        files=NATIVE_COUNTER,
        extensions=[
            {"point": f"kettle.{name}", "ref": f"native_counter:SESSION.{name}", "priority": 10}
            for name in ("task_start", "task_stop", "kettle_on")
        ],
    )
    folder.add(
        "native.announcer",
        packages=["native_announcer"],
        files=NATIVE_ANNOUNCER,
        extensions=[{"point": "kettle.kettle_on", "ref": "native_announcer:kettle_on"}],
    )
    # pluggy calls the plugin registered last first; natively, priority says who answers first
    folder.add(
        "native.certs",
        packages=["native_certs"],
        files=NATIVE_CERTS,
        extensions=[
            {"point": "kettle.get_cert_key_paths", "ref": "native_certs:default"},
            {"point": "kettle.get_cert_key_paths", "ref": "native_certs:corp", "priority": 10},
        ],
    )


def declare_native_hooks(manager: Manager) -> None:
    manager.add_point("kettle.task_start", hook=True)
    manager.add_point("kettle.task_stop", hook=True, parameters=["failed"])
    manager.add_point("kettle.kettle_on", hook=True, parameters=["kettle", "temperature"])
    manager.add_point("kettle.get_cert_key_paths", hook=True, parameters=["server_url"], firstresult=True)


@contextlib.contextmanager
def task_context(call: Call) -> Iterator[None]:
    """pubtools' task_context: task_start, the block, then always task_stop(failed=...): False on a normal
    exit, code != 0 for SystemExit, True for any other exception, which propagates."""
    call("task_start")
    failed = True
    try:
        yield
        failed = False
    except SystemExit as e:
        failed = e.code != 0
        raise
    finally:
        call("task_stop", failed=failed)


def session(call: Call) -> list[Any]:
    """The host's work, the same through either kind of hook."""
    answers = []
    with task_context(call):
        answers.append(call("kettle_on", kettle="k1", temperature=95))
        answers.append(call("kettle_on", kettle="k2", temperature=20))
        answers.append(call("get_cert_key_paths", server_url="https://corp.example"))
        answers.append(call("get_cert_key_paths", server_url="https://pub.example"))
    answers.append(call("kettle_on", kettle="k0", temperature=99))  # between tasks: no counter
    with contextlib.suppress(RuntimeError), task_context(call):
        answers.append(call("kettle_on", kettle="k3", temperature=100))
        raise RuntimeError("the kettle boiled dry")
    for code in (0, 2):
        with contextlib.suppress(SystemExit), task_context(call):
            raise SystemExit(code)
    return answers


EXPECTED = [
    ["kettle #1: k1", "k1 on at 95"],
    ["kettle #2: k2"],
    ("corp.crt", "corp.key"),
    ("default.crt", "default.key"),
    ["k0 on at 99"],
    ["kettle #1: k3", "k3 on at 100"],
]
EXPECTED_LOG = [
    "2 kettles, failed=False",
    "1 kettles, failed=True",
    "0 kettles, failed=False",
    "0 kettles, failed=True",
]


def test_the_bridge_and_native_hooks_give_the_same_results(manifold_plugins: PluginFolder, host: ModuleType) -> None:
    pluggy_plugins(manifold_plugins)
    native_plugins(manifold_plugins)
    manager = manifold_plugins.manager()
    declare_native_hooks(manager)
    undo = register(manager, host.pm)

    bridged = session(lambda name, **kwargs: getattr(host.pm.hook, name)(**kwargs))
    bridged_log = list(host.LOG)
    host.LOG.clear()
    native = session(lambda name, **kwargs: manager.hook(f"kettle.{name}")(**kwargs))

    assert bridged == native == EXPECTED
    assert bridged_log == host.LOG == EXPECTED_LOG
    undo()


def test_register_follows_activation_and_undo_unregisters(manifold_plugins: PluginFolder, host: ModuleType) -> None:
    pluggy_plugins(manifold_plugins)
    manifold_plugins.add("kettle.other", packages=["kettle_other"], files={"kettle_other/__init__.py": "X = 1\n"})
    manager = manifold_plugins.manager()
    pm = host.pm
    assert "kettle_counter" not in sys.modules  # lazy plugins: nothing imported yet
    undo = register(manager, pm)

    order = ["kettle.announcer", "kettle.certs", "kettle.certs-corp", "kettle.counter"]
    assert [name for name, _ in pm.list_name_plugin()] == order  # in load order
    assert manager.report.active == order  # activated by register, as load_setuptools_entrypoints imports
    assert "kettle_other" not in sys.modules
    assert pm.get_plugin("kettle.counter") is sys.modules["kettle_counter.hooks"]
    assert type(pm.get_plugin("kettle.certs")).__name__ == "DefaultCerts"
    assert "pluggy" in manager.points()

    manager.deactivate("kettle.certs-corp")
    assert pm.get_plugin("kettle.certs-corp") is None
    assert pm.hook.get_cert_key_paths(server_url="https://corp.example") == ("default.crt", "default.key")
    manager.activate("kettle.certs-corp")
    assert pm.hook.get_cert_key_paths(server_url="https://corp.example") == ("corp.crt", "corp.key")

    manager.unload("kettle.announcer")
    assert pm.get_plugin("kettle.announcer") is None
    assert "kettle_announcer" not in sys.modules
    manager.activate("kettle.announcer")  # registered again, from fresh code
    assert pm.hook.kettle_on(kettle="k", temperature=90) == ["k on at 90"]

    undo()
    assert pm.list_name_plugin() == []
    assert "pluggy" not in manager.points()
    manager.deactivate("kettle.counter")
    manager.activate("kettle.counter")  # no longer followed
    assert pm.list_name_plugin() == []


def test_a_contribution_pluggy_rejects_is_logged_and_left_out(
    manifold_plugins: PluginFolder, host: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    pluggy_plugins(manifold_plugins)
    manifold_plugins.add(
        "kettle.wrong",
        packages=["kettle_wrong"],
        files={
            "kettle_wrong/__init__.py": """
                from kettle_host import hookimpl


                class Wrong:
                    @hookimpl
                    def kettle_on(self, kettle, colour):
                        return colour
            """
        },
        extensions=[{"point": "pluggy", "ref": "kettle_wrong:Wrong"}],
    )
    manager = manifold_plugins.manager()
    with caplog.at_level(logging.ERROR, logger="manifold"):
        register(manager, host.pm)
    assert [r.getMessage().splitlines()[0] for r in caplog.records] == [
        "kettle.wrong: kettle_wrong:Wrong cannot be registered into pluggy: Plugin 'kettle.wrong' for hook 'kettle_on'"
    ]
    assert host.pm.get_plugin("kettle.wrong") is None
    assert host.pm.hook.kettle_on(kettle="k", temperature=95) == ["k on at 95"]


def test_a_plugin_with_several_pluggy_contributions(manifold_plugins: PluginFolder, host: ModuleType) -> None:
    manifold_plugins.add(
        "kettle.certs",
        packages=["kettle_certs"],
        files=CERTS,
        extensions=[
            {"point": "pluggy", "ref": "kettle_certs:DefaultCerts", "id": "default"},
            {"point": "pluggy", "ref": "kettle_certs:DefaultCerts"},
        ],
    )
    manager = manifold_plugins.manager()
    register(manager, host.pm)
    assert [name for name, _ in host.pm.list_name_plugin()] == ["kettle.certs:default", "kettle.certs:1"]


def test_importing_the_bridge_leaves_import_pluggy_alone() -> None:
    code = textwrap.dedent(
        """
        import manifold.pluggy
        import pluggy
        print(pluggy.__name__, manifold.pluggy.pluggy is pluggy, hasattr(pluggy, "PluginManager"))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "pluggy True True\n"
    assert pluggy.PluginManager.__module__.startswith("pluggy")
