"""What a host's start imports: the modules ``from manifold import Manager`` and a warm start leave out.

Each case runs in a fresh interpreter and names the modules it finds; the libraries and the parts of
manifold that only validation, a cold read, a configuration file or a command need are imported by
their first use.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import WritePlugin

# Imported by the first use only: validation (jsonschema, the schema checker, the TOML locator), the
# load-order graph (networkx), version rules (packaging), installed distributions, a cold read (TOML,
# the process pool), the rule engine, the gate and the load order, archives,
# configuration files and plugin settings, a rescan, hooks, the commands and tools; and the standard
# modules only those need (dataclasses, inspect with ast and dis, copy, queue, heapq): manifold's values
# are made by manifold._values. logging (with traceback and string) comes with the first record worth
# making, or the first secret to mask (manifold._log).
NOT_FOR_MANAGER = (
    "logging",
    "traceback",
    "string",
    "datetime",
    "dataclasses",
    "inspect",
    "ast",
    "dis",
    "copy",
    "queue",
    "heapq",
    "jsonschema",
    "networkx",
    "packaging",
    "platform",
    "json",
    "tomllib",
    "tomli",
    "zipfile",
    "hashlib",
    "pickle",
    "subprocess",
    "manifold.graph.installed",
    "manifold.manifest.locate",
    "manifold.manifest.schema",
    "manifold.manifest.toml",
    "manifold.manifest.read",
    "manifold.manifest.rules",
    "manifold.manifest._words",
    "manifold.sources.fanout",
    "manifold.graph",
    "manifold.lifecycle.rescan",
    "manifold.lifecycle.points",
    "manifold.hooks",
    "manifold.validation",
    "manifold.tools",
    "manifold.cli",
)

# A warm start of plugins without version rules, markers, settings or configs: the manifests come from
# the snapshot, so nothing parses TOML, checks a schema, gates or resolves, and no version rule is
# evaluated. It starts the worker (its queue is _queue's, without the queue module); the states it prints
# are read from PluginInfos, whose times are datetimes (a start alone imports no datetime: see below). (The
# snapshot it reads, with its diagnostics and the manifest cache's context, is imported with the manager:
# every start with a cache folder reads it.)
_WARM_START_NEEDS = (
    "datetime",
    "packaging",
)
NOT_FOR_WARM_START = (
    *(name for name in NOT_FOR_MANAGER if name not in _WARM_START_NEEDS),
    "packaging.specifiers",
    "packaging.markers",
    "packaging.requirements",
)

_FOUND = "print(sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in {names!r})))\n"


def _imported(code: str, names: tuple[str, ...], cwd: Path | None = None) -> str:
    script = "import sys\n" + code + _FOUND.format(names=names)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=cwd)
    return done.stdout


def test_importing_the_manager_imports_only_what_a_start_needs() -> None:
    assert _imported("from manifold import Manager\n", NOT_FOR_MANAGER) == "[]\n"


def test_importing_the_manager_compiles_no_code() -> None:
    """Values take their constructors from templates written out ahead, and no type is written as text where
    ``typing`` would compile it (a ``TypedDict``, ``Generic["..."]``): the compiler is not even set up."""
    code = (
        "import builtins\n"
        "compiled = []\n"
        "def compile(source, filename, *args, _compile=builtins.compile, **kwargs):\n"
        "    compiled.append(str(filename)) if str(filename).startswith('<') else None  # not a module's file\n"
        "    return _compile(source, filename, *args, **kwargs)\n"
        "builtins.compile = compile\n"
        "from manifold import Manager\n"
        "print(compiled)\n"
    )
    assert _imported(code, ()).splitlines()[0] == "[]"


def test_importing_the_manager_leaves_the_collector_as_it_found_it() -> None:
    code = "import gc\ngc.disable()\nfrom manifold import Manager\nprint(gc.isenabled())\n"
    assert _imported(code, ()).splitlines()[0] == "False"
    # The permanent generation as it was (empty on 3.11; CPython 3.12 keeps a few hundred of its own objects there)
    code = (
        "import gc\nfrozen = gc.get_freeze_count()\nfrom manifold import Manager, validate\n"
        "print(gc.isenabled(), gc.get_freeze_count() == frozen)\n"
    )
    assert _imported(code, ()).splitlines()[0] == "True True"


def test_the_command_help_imports_neither_the_library_nor_dataclasses() -> None:
    code = "from manifold.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
    names = ("dataclasses", "pathlib", "json", "manifold.config", "manifold.manager")
    assert _imported(code, names).splitlines()[-1] == "[]"


def test_a_warm_start_imports_no_reader_validator_or_version_rules(
    plugins: Path, write_plugin: WritePlugin, tmp_path: Path
) -> None:
    write_plugin(
        "host",
        """
        [plugin]
        id = "acme.host"
        version = "1.0"
        packages = ["acme_host"]
        class = "acme_host:Host"
        activation = "eager"

        [[extension-points]]
        id = "acme.exporters"
        """,
        files={"acme_host/__init__.py": "class Host:\n    pass\n"},
    )
    write_plugin(
        "md",
        """
        [plugin]
        id = "acme.md"
        version = "1.0"
        packages = ["acme_md"]

        [[extensions]]
        point = "acme.exporters"
        ref = "acme_md:Exporter"
        """,
        files={"acme_md/__init__.py": "class Exporter:\n    pass\n"},
    )
    start = (
        "from manifold import Manager\n"
        f"manager = Manager(['plugins'], cache_dir={str(tmp_path / 'cache')!r})\n"
        "manager.activate_all()\n"
        "print([type(h.load()).__name__ for h in manager.extensions('acme.exporters')])\n"
        "print(sorted(p.state for p in manager.report.plugins.values()))\n"
    )
    cold = _imported(start, NOT_FOR_WARM_START, cwd=plugins.parent)
    assert cold.splitlines()[:2] == ["['Exporter']", "['active', 'active']"]
    assert "tomllib" in cold or "tomli" in cold  # the first start reads the manifests and writes the cache
    assert _imported(start, NOT_FOR_WARM_START, cwd=plugins.parent) == "['Exporter']\n['active', 'active']\n[]\n"


def test_times_are_kept_as_numbers_and_shown_as_datetimes_when_a_plugin_info_is_read(
    plugins: Path, eager_plugin: Path, tmp_path: Path
) -> None:
    start = (
        "import sys, time\n"
        "from manifold import Manager\n"
        f"manager = Manager(['plugins'], cache_dir={str(tmp_path / 'cache')!r})\n"
        "before = time.time()\n"
        "report = manager.activate_all()\n"
        "print('datetime' in sys.modules)\n"
        "info = report.plugins['acme.md']\n"
        "print('datetime' in sys.modules, info.activated_at.tzinfo, info.discovered_at <= info.activated_at)\n"
        "print(abs(info.activated_at.timestamp() - before) < 60, info.changed_at >= info.activated_at)\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", start], capture_output=True, text=True, check=True, cwd=plugins.parent)
        for _ in range(2)
    ]
    # cold: reading TOML imports datetime (TOML has dates); warm: nothing does until an info is read
    assert [done.stdout for done in runs] == ["True\nTrue UTC True\nTrue True\n", "False\nTrue UTC True\nTrue True\n"]
