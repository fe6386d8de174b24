"""The pluggy bridge: a pubtools-style pluggy host gets the same answers from manifest plugins through
its own PluginManager as from native manifold hooks."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pluggy
import pytest

from manifold import Manager, UsageError
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


# ---------------------------------------------------------------- what a host switching from entry points needs


def certs_plugin(folder: PluginFolder, plugin_id: str, answer: str, **extension: Any) -> None:
    package = plugin_id.replace(".", "_").replace("-", "_")
    folder.add(
        plugin_id,
        packages=[package],
        files={
            f"{package}/__init__.py": f"""
                from kettle_host import hookimpl


                @hookimpl
                def get_cert_key_paths(server_url):
                    return {answer!r}
            """
        },
        extensions=[{"point": "pluggy", "ref": package, **extension}],  # a module alone, as in an entry point
    )


def test_distribution_metadata_reaches_pluggy(manifold_plugins: PluginFolder, host: ModuleType) -> None:
    pluggy_plugins(manifold_plugins)
    manager = manifold_plugins.manager()
    register(manager, host.pm)
    shown = {name: (dist.project_name, dist.version) for name, dist in _distinfo_by_name(host.pm)}
    assert shown == {
        "kettle.announcer": ("kettle.announcer", "1.0"),
        "kettle.certs": ("kettle.certs", "1.0"),
        "kettle.certs-corp": ("kettle.certs-corp", "1.0"),
        "kettle.counter": ("kettle.counter", "1.0"),
    }
    dist = dict(host.pm.list_plugin_distinfo())[host.pm.get_plugin("kettle.certs")]
    assert (dist.metadata["Name"], dist.name) == ("kettle.certs", "kettle.certs")
    manager.deactivate("kettle.certs")
    assert [name for name, _ in _distinfo_by_name(host.pm)] == [
        "kettle.announcer",
        "kettle.certs-corp",
        "kettle.counter",
    ]


def _distinfo_by_name(pm: pluggy.PluginManager) -> list[tuple[str | None, Any]]:
    return [(pm.get_name(plugin), dist) for plugin, dist in pm.list_plugin_distinfo()]


def test_a_ref_naming_a_module_registers_the_module(manifold_plugins: PluginFolder, host: ModuleType) -> None:
    certs_plugin(manifold_plugins, "acme.certs", "acme", config={"name": "certs"})
    manager = manifold_plugins.manager()
    from manifold import validate

    assert validate([manifold_plugins.root]).diagnostics == ()
    register(manager, host.pm)
    assert host.pm.get_plugin("certs") is sys.modules["acme_certs"]  # under config.name, as an entry point's name
    assert host.pm.hook.get_cert_key_paths(server_url="x") == "acme"


def test_the_stated_order_honours_priority_and_survives_deactivation(
    manifold_plugins: PluginFolder, host: ModuleType
) -> None:
    certs_plugin(manifold_plugins, "a.low", "a.low", priority=-5)
    certs_plugin(manifold_plugins, "b.high", "b.high", priority=10)
    certs_plugin(manifold_plugins, "c.plain", "c.plain")
    certs_plugin(manifold_plugins, "d.plain", "d.plain")
    manager = manifold_plugins.manager()
    register(manager, host.pm)

    def answers() -> list[str]:
        return [impl.function(server_url="x") for impl in reversed(host.pm.hook.get_cert_key_paths.get_hookimpls())]

    expected = ["b.high", "d.plain", "c.plain", "a.low"]  # highest priority, then later in load order, first
    assert answers() == expected
    assert host.pm.hook.get_cert_key_paths(server_url="x") == "b.high"
    for plugin_id in ("b.high", "c.plain", "a.low"):
        manager.deactivate(plugin_id)
        manager.activate(plugin_id)
        assert answers() == expected


def test_the_registered_order_follows_pluggy(manifold_plugins: PluginFolder, host: ModuleType) -> None:
    certs_plugin(manifold_plugins, "a.low", "a.low", priority=-5)
    certs_plugin(manifold_plugins, "b.high", "b.high", priority=10)
    manager = manifold_plugins.manager()
    register(manager, host.pm, order="registered")
    assert host.pm.hook.get_cert_key_paths(server_url="x") == "b.high"  # registered last, in load order
    manager.deactivate("a.low")
    manager.activate("a.low")
    assert host.pm.hook.get_cert_key_paths(server_url="x") == "a.low"  # registered last now
    with pytest.raises(UsageError, match="order must be 'priority' or 'registered', not 'lifo'"):
        register(manager, host.pm, order="lifo")  # type: ignore[arg-type]


def test_registration_and_historic_replays_run_on_the_callers_thread(
    manifold_plugins: PluginFolder, host: ModuleType
) -> None:
    class Configure:
        @pluggy.HookspecMarker("kettle")(historic=True)
        def kettle_configure(self, config: dict[str, Any]) -> None:
            """Historic: every plugin sees the host's configuration, however late it registers."""

    host.pm.add_hookspecs(Configure)
    host.pm.hook.kettle_configure.call_historic(kwargs={"config": {}})
    manifold_plugins.add(
        "kettle.configured",
        packages=["kettle_configured"],
        files={
            "kettle_configured/__init__.py": """
                import threading
                from kettle_host import LOG, hookimpl


                @hookimpl
                def kettle_configure(config):
                    LOG.append(threading.current_thread().name)
            """
        },
        extensions=[{"point": "pluggy", "ref": "kettle_configured"}],
    )
    manager = manifold_plugins.manager(timeout=5)  # a time limit: plugin code runs on manifold's worker
    register(manager, host.pm)
    assert [threading.current_thread().name] == host.LOG
    assert manager.report.active == ["kettle.configured"]


def test_a_plugin_that_lists_its_hooks_is_imported_on_their_first_call(
    manifold_plugins: PluginFolder, host: ModuleType
) -> None:
    certs_plugin(manifold_plugins, "a.lazy", "a.lazy", priority=10, config={"hooks": ["get_cert_key_paths"]})
    certs_plugin(manifold_plugins, "b.eager", "b.eager")
    manager = manifold_plugins.manager()
    register(manager, host.pm)
    assert "a_lazy" not in sys.modules
    assert manager.inspect("a.lazy").state == "resolved"
    assert [name for name, _ in _distinfo_by_name(host.pm)] == ["a.lazy", "b.eager"]  # listed before import

    assert host.pm.hook.get_cert_key_paths(server_url="x") == "a.lazy"  # imported now, and it answers first
    assert manager.inspect("a.lazy").state == "active"
    assert host.pm.get_plugin("a.lazy") is sys.modules["a_lazy"]
    assert host.pm.hook.get_cert_key_paths(server_url="x") == "a.lazy"
    manager.deactivate("a.lazy")  # excluded until activated again: calls do not bring it back
    assert host.pm.hook.get_cert_key_paths(server_url="x") == "b.eager"
    assert manager.inspect("a.lazy").state == "inactive"


def test_a_lazy_plugin_that_fails_on_import_is_left_out(
    manifold_plugins: PluginFolder, host: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    manifold_plugins.add(
        "a.broken",
        packages=["a_broken"],
        files={"a_broken/__init__.py": "raise RuntimeError('no certificates here')\n"},
        extensions=[
            {"point": "pluggy", "ref": "a_broken", "priority": 10, "config": {"hooks": ["get_cert_key_paths"]}}
        ],
    )
    certs_plugin(manifold_plugins, "b.good", "b.good")
    manager = manifold_plugins.manager()
    register(manager, host.pm)
    with caplog.at_level(logging.ERROR, logger="manifold"):
        assert host.pm.hook.get_cert_key_paths(server_url="x") == "b.good"
    info = manager.inspect("a.broken")
    assert (info.state, info.reason and info.reason.phase) == ("failed", "import")
    assert host.pm.get_plugin("a.broken") is None
    assert [name for name, _ in host.pm.list_name_plugin()] == ["b.good"]
