"""Generate a realistic, valid set of plugins for benchmarks.

Each plugin is a folder ``p0001/`` holding a ``plugin.toml`` of about 25 lines and a small
package ``bench_p0001/__init__.py``. Plugins depend only on lower-numbered plugins (so there
is no cycle), every dependency specifier is satisfied by its target, roughly every 20th
plugin declares an extension point and most plugins contribute to existing points with a
``config`` that satisfies the point's ``config-schema``. The output depends only on the
arguments: the same seed gives the same files, byte for byte.

As a module::

    from generate import generate
    ids = generate("/dev/shm/plugins", 1000, seed=0)

As a script::

    python benchmarks/generate.py DIR -n 1000 [--seed 0] [--check]

``--check`` validates the result with manifold and fails unless it has 0 errors and
0 warnings.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["generate"]

_ADJECTIVES = (
    "quick", "quiet", "bright", "smart", "simple", "shared", "secure", "remote", "local",
    "fuzzy", "live", "inline", "batch", "visual", "rich", "plain", "compact", "daily",
)  # fmt: skip
_NOUNS = (
    "notes", "export", "search", "sync", "preview", "calendar", "tasks", "tags", "outline",
    "backup", "themes", "snippets", "links", "charts", "tables", "mail", "archive", "review",
)  # fmt: skip
_TAGS = (
    "export", "import", "search", "sync", "ui", "editor", "formatting", "storage", "network",
    "productivity", "writing", "markdown", "calendar", "backup", "security", "charts",
)  # fmt: skip
_AUTHORS = (
    "Ada Lovelace <ada@example.org>", "Grace Hopper <grace@example.org>", "Alan Turing",
    "Katherine Johnson <kj@example.org>", "Edsger Dijkstra", "Barbara Liskov <bl@example.org>",
    "The Bench Team <team@example.org>", "Donald Knuth",
)  # fmt: skip
_LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "MPL-2.0", "GPL-3.0-or-later")

# The kinds of extension point, in the order points are declared (cycled).
#   exporters: objects implementing an interface, with a config checked by a schema
#   on_save:   a hook point: contributions are functions taking `parameters`
#   commands:  objects without an interface, config checked by a schema with a pattern
#   themes:    plain data points: no schema, free config
_POINT_KINDS = ("exporters", "on_save", "commands", "themes")
_HOOK_PARAMETERS = ("document", "context")


@dataclass
class _Point:
    id: str
    kind: str
    owner: int  # plugin number
    interface: str | None = None  # class name in the owner's package


@dataclass
class _Plugin:
    number: int
    name: str  # folder and id suffix: p0001
    version: tuple[int, int, int]
    post: bool = False
    points: list[_Point] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"bench.{self.name}"

    @property
    def package(self) -> str:
        return f"bench_{self.name}"

    @property
    def version_text(self) -> str:
        text = ".".join(str(v) for v in self.version)
        return f"{text}.post1" if self.post else text


def _q(text: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML escapes)."""
    return json.dumps(text)


def _specifier(rng: random.Random, target: _Plugin) -> str:
    """A PEP 440 specifier that ``target``'s version satisfies."""
    major, minor, patch = target.version
    choices = [
        "*",
        f">={major}.{minor}",
        f">={major}.{minor},<{major + 1}",
        f"~={major}.{minor}",
        f"=={major}.{minor}.*",
        f">={major}.0,!={major}.{minor}.{patch + 1}",
    ]
    return rng.choice(choices)


def generate(
    target_dir: str | Path,
    n: int,
    *,
    seed: int = 0,
    lazy_ratio: float = 0.8,
    point_every: int = 20,
    max_dependencies: int = 3,
    optional_ratio: float = 0.2,
    settings_ratio: float = 0.2,
    standalone: int = 0,
    host_hook: str | None = None,
) -> list[str]:
    """Write ``n`` plugin folders into ``target_dir`` (created if needed); return their ids.

    Files of the same names are overwritten; anything else in ``target_dir`` is left alone, so
    give an empty folder to get exactly ``n`` plugins.

    ``lazy_ratio``: share of plugins with lazy activation (the others are eager).
    ``point_every``: plugin 1 and then every ``point_every``-th plugin declares a point.
    ``max_dependencies``: each plugin has 0 to this many ``[dependencies]``.
    ``optional_ratio``: share of plugins with an ``[optional-dependencies]`` table.
    ``settings_ratio``: share of plugins with a small ``[settings-schema]``.
    ``standalone``: the last this many plugins need no other plugin: the first of them declares the
    point ``<its id>.standalone`` and each contributes one extension to it, importing nothing else
    (using that point imports exactly their modules). The other plugins are as without it.
    ``host_hook``: the id of a hook point the host declares in code (parameter ``app``); every plugin
    contributes to it one function, ``host_hook`` in its package, returning the plugin's id. The rest
    of each file is as without it, byte for byte.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0 <= standalone <= n:
        raise ValueError("standalone must be between 0 and n")
    rng = random.Random(seed)
    width = max(4, len(str(n)))
    root = Path(target_dir)
    root.mkdir(parents=True, exist_ok=True)
    plugins: list[_Plugin] = []
    points: list[_Point] = []
    first_standalone = n - standalone + 1
    standalone_point = f"bench.p{first_standalone:0{width}d}.standalone"
    for number in range(1, n + 1):
        plugin = _Plugin(
            number=number,
            name=f"p{number:0{width}d}",
            version=(
                rng.choice((0, 1, 1, 1, 2, 2, 3)),
                rng.randrange(10),
                rng.randrange(10),
            ),
            post=rng.random() < 0.05,
        )
        if number >= first_standalone:
            plugins.append(plugin)
            declares = number == first_standalone
            manifest, module = _render_standalone(rng, plugin, standalone_point, declares, seed, lazy_ratio)
        else:
            if (number - 1) % point_every == 0:
                kind = _POINT_KINDS[len(points) % len(_POINT_KINDS)]
                point = _Point(f"{plugin.id}.{kind}", kind, number)
                if kind == "exporters":
                    point.interface = "Exporter"
                plugin.points.append(point)
                points.append(point)
            plugins.append(plugin)
            manifest, module = _render(
                rng,
                plugin,
                plugins,
                points,
                seed=seed,
                lazy_ratio=lazy_ratio,
                max_dependencies=max_dependencies,
                optional_ratio=optional_ratio,
                settings_ratio=settings_ratio,
            )
        if host_hook is not None:
            manifest, module = _add_host_hook(plugin, host_hook, manifest, module)
        folder = root / plugin.name
        (folder / plugin.package).mkdir(parents=True, exist_ok=True)
        (folder / "plugin.toml").write_text(manifest, encoding="utf-8", newline="\n")
        (folder / plugin.package / "__init__.py").write_text(module, encoding="utf-8", newline="\n")
    return [p.id for p in plugins]


def _add_host_hook(plugin: _Plugin, point: str, manifest: str, module: str) -> tuple[str, str]:
    """``manifest`` and ``module`` with one more contribution: ``host_hook`` to the host's hook ``point``."""
    lines = [
        "",
        "[[extensions]]",
        f"point = {_q(point)}",
        'id = "host-hook"',
        f"ref = {_q(plugin.package + ':host_hook')}",
    ]
    code = [
        "",
        "",
        "def host_hook(app):",
        f'    """Implementation of the host\'s hook {point}."""',
        f"    return {_q(plugin.id)}",
    ]
    return manifest + "\n".join(lines) + "\n", module + "\n".join(code) + "\n"


def _render(
    rng: random.Random,
    plugin: _Plugin,
    plugins: list[_Plugin],
    points: list[_Point],
    *,
    seed: int,
    lazy_ratio: float,
    max_dependencies: int,
    optional_ratio: float,
    settings_ratio: float,
) -> tuple[str, str]:
    """The manifest and the module text of ``plugin`` (the last of ``plugins``)."""
    earlier = plugins[:-1]
    # Contributions: 0 (15%), 1 (50%) or 2 (35%) extensions to points declared so far.
    count = rng.choices((0, 1, 2), weights=(15, 50, 35))[0]
    targets = rng.sample(points, min(count, len(points)))
    # Dependencies: the owners of the points contributed to, then random earlier plugins.
    wanted = rng.randint(0, max_dependencies)
    deps: list[_Plugin] = []
    for point in targets:
        owner = plugins[point.owner - 1]
        if owner is not plugin and owner not in deps:
            deps.append(owner)
    while earlier and len(deps) < min(wanted, len(earlier)):
        candidate = rng.choice(earlier)
        if candidate not in deps:
            deps.append(candidate)
    optional: list[_Plugin] = []
    if earlier and rng.random() < optional_ratio:
        candidate = rng.choice(earlier)
        if candidate not in deps:
            optional.append(candidate)

    adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
    title = f"{adjective.capitalize()} {noun}"
    lazy = rng.random() < lazy_ratio
    lines = [
        *_head(plugin, seed, f"{title} ({plugin.name})", f"Adds {adjective} {noun} to the bench application."),
        f"license = {_q(rng.choice(_LICENSES))}",
        f"homepage = {_q(f'https://example.org/bench/{plugin.name}')}",
        f"authors = [{', '.join(_q(a) for a in rng.sample(_AUTHORS, rng.randint(1, 2)))}]",
        f"tags = [{', '.join(_q(t) for t in rng.sample(_TAGS, rng.randint(1, 3)))}]",
        'target = "bench"',
        'requires-api = ">=1.0,<2"',
    ]
    if rng.random() < 0.3:
        lines.append('requires-python = ">=3.11"')
    if rng.random() < 0.05:
        lines.append("markers = \"sys_platform != 'emscripten'\"")
    if rng.random() < 0.05:
        lines.append('requires = ["packaging>=23.2"]')
    lines += [
        f"packages = [{_q(plugin.package)}]",
        f"class = {_q(plugin.package + ':Plugin')}",
    ]
    if not lazy or rng.random() < 0.5:  # lazy is the default: not always written out
        lines.append(f"activation = {_q('lazy' if lazy else 'eager')}")
    if deps:
        lines += ["", "[dependencies]"]
        lines += [f"{_q(d.id)} = {_q(_specifier(rng, d))}" for d in deps]
    if optional:
        lines += ["", "[optional-dependencies]"]
        lines += [f"{_q(d.id)} = {_q(_specifier(rng, d))}" for d in optional]
    if rng.random() < settings_ratio:
        lines += [
            "",
            "[settings-schema]",
            'type = "object"',
            'properties.enabled = { type = "boolean", default = true, description = "Turn the plugin on or off." }',
            'properties.limit = { type = "integer", minimum = 1, default = 50, description = "Most items to show." }',
        ]
    for point in plugin.points:
        lines += ["", *_point_lines(point)]

    code: list[str] = []  # module-level definitions for the contributions
    imports: set[str] = set()
    for index, point in enumerate(targets):
        ext_id = f"{noun}-{index + 1}"
        symbol = f"{point.kind}_{index + 1}"
        lines += ["", "[[extensions]]", f"point = {_q(point.id)}", f"id = {_q(ext_id)}"]
        owner = plugins[point.owner - 1]
        if point.kind == "on_save":
            name = f"on_save_{index + 1}"
            code += [
                f"def {name}({', '.join(_HOOK_PARAMETERS)}):",
                f'    """Hook for {point.id}."""',
                "    return None",
            ]
        else:
            name = "".join(part.capitalize() for part in symbol.split("_"))
            base = ""
            if point.interface is not None:
                if owner is plugin:
                    base = f"({point.interface})"
                else:
                    imports.add(f"from {owner.package} import {point.interface}")
                    base = f"({point.interface})"
            code += [
                f"class {name}{base}:",
                f'    """Contribution to {point.id}."""',
                "",
                "    def __init__(self, config=None):",
                "        self.config = dict(config or {})",
            ]
        code += ["", ""]
        lines.append(f"ref = {_q(plugin.package + ':' + name)}")
        lines.append(f"priority = {rng.randint(-10, 20)}")
        if rng.random() < 0.05:
            lines.append("markers = \"platform_machine != 's390x'\"")
        config = _config(rng, point, plugin, index)
        if config:
            lines.append(f"config = {{ {config} }}")

    header = [
        f'"""{title} plugin for the bench application (generated by benchmarks/generate.py)."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    uses = deps[0].package if deps and rng.random() < 0.5 else None
    if uses is not None:
        imports.add(f"import {uses}")
    # isort order: plain imports first, then from-imports.
    module = [*header, *sorted(imports, key=lambda line: (line.startswith("from"), line))]
    if imports:
        module.append("")
    module += ["", *_plugin_class(plugin, uses), "", ""]
    for point in plugin.points:
        if point.interface is not None:
            module += [
                f"class {point.interface}:",
                f'    """What contributions to {point.id} implement."""',
                "",
                "    def export(self, document):",
                "        raise NotImplementedError",
                "",
                "",
            ]
    module += code
    while module and module[-1] == "":
        module.pop()
    return "\n".join(lines) + "\n", "\n".join(module) + "\n"


def _head(plugin: _Plugin, seed: int, name: str, description: str) -> list[str]:
    """The first lines of a manifest: where it comes from, and the plugin's id, version, name and description."""
    return [
        f"# Generated by benchmarks/generate.py (seed {seed}).",
        "[plugin]",
        f"id = {_q(plugin.id)}",
        f"version = {_q(plugin.version_text)}",
        f"name = {_q(name)}",
        f"description = {_q(description)}",
    ]


def _render_standalone(
    rng: random.Random, plugin: _Plugin, point: str, declares: bool, seed: int, lazy_ratio: float
) -> tuple[str, str]:
    """A plugin that needs no other: one extension to ``point`` (which it declares if ``declares``)."""
    lazy = rng.random() < lazy_ratio
    lines = [
        *_head(plugin, seed, f"Standalone ({plugin.name})", "Adds a command that needs no other plugin."),
        f"license = {_q(rng.choice(_LICENSES))}",
        'target = "bench"',
        'requires-api = ">=1.0,<2"',
        f"packages = [{_q(plugin.package)}]",
        f"class = {_q(plugin.package + ':Plugin')}",
        f"activation = {_q('lazy' if lazy else 'eager')}",
    ]
    if declares:
        lines += [
            "",
            "[[extension-points]]",
            f"id = {_q(point)}",
            'description = "Needs nothing else."',
        ]
    lines += [
        "",
        "[[extensions]]",
        f"point = {_q(point)}",
        'id = "standalone"',
        f"ref = {_q(plugin.package + ':Standalone')}",
        f"config = {{ title = {_q(plugin.name)} }}",
    ]
    module = [
        '"""A standalone plugin for the bench application (generated by benchmarks/generate.py)."""',
        "",
        "from __future__ import annotations",
        "",
        "",
        *_plugin_class(plugin, None),
        "",
        "",
        "class Standalone:",
        f'    """Contribution to {point}."""',
        "",
        "    def __init__(self, config=None):",
        "        self.config = dict(config or {})",
    ]
    return "\n".join(lines) + "\n", "\n".join(module) + "\n"


def _point_lines(point: _Point) -> list[str]:
    lines = ["[[extension-points]]", f"id = {_q(point.id)}"]
    if point.kind == "exporters":
        lines += [
            'description = "Export formats; each contribution writes one format."',
            f'interface = "bench_{point.id.split(".")[1]}:{point.interface}"',
            "",
            "[extension-points.config-schema]",
            'type = "object"',
            'required = ["label"]',
            "additionalProperties = false",
            'properties.label = { type = "string", maxLength = 40 }',
            'properties.weight = { type = "integer", minimum = 0, maximum = 100 }',
        ]
    elif point.kind == "on_save":
        lines += [
            'description = "Called with each document when it is saved."',
            "hook = true",
            f"parameters = [{', '.join(_q(p) for p in _HOOK_PARAMETERS)}]",
        ]
    elif point.kind == "commands":
        lines += [
            'description = "Commands shown in the command palette."',
            "",
            "[extension-points.config-schema]",
            'type = "object"',
            'required = ["title"]',
            'properties.title = { type = "string" }',
            "properties.shortcut = { type = \"string\", pattern = '^(ctrl|alt)\\+[a-z]$' }",
        ]
    else:
        lines += ['description = "Colour themes; the config is the theme itself."']
    return lines


def _config(rng: random.Random, point: _Point, plugin: _Plugin, index: int) -> str:
    """An inline table body that satisfies the point's config-schema ("" for none)."""
    if point.kind == "exporters":
        parts = [f"label = {_q(f'{plugin.name} export {index + 1}')}"]
        if rng.random() < 0.6:
            parts.append(f"weight = {rng.randint(0, 100)}")
        return ", ".join(parts)
    if point.kind == "commands":
        parts = [f"title = {_q(f'Run {plugin.name} command {index + 1}')}"]
        if rng.random() < 0.5:
            parts.append(f"shortcut = {_q(rng.choice(('ctrl', 'alt')) + '+' + rng.choice('abcdefgh'))}")
        return ", ".join(parts)
    if point.kind == "themes":
        colour = f"#{rng.randrange(0x1000000):06x}"
        return f"background = {_q(colour)}, dark = {'true' if rng.random() < 0.5 else 'false'}"
    return ""


def _plugin_class(plugin: _Plugin, uses: str | None) -> list[str]:
    """The ``Plugin`` class; ``uses``: a dependency's package it calls when activated."""
    activate = ["        self.active = True"]
    if uses is not None:
        activate.insert(0, f"        self.base = {uses}.Plugin(self.context)")
    return [
        "class Plugin:",
        f'    """The main object of {plugin.id}."""',
        "",
        "    def __init__(self, context):",
        "        self.context = context",
        "        self.active = False",
        "",
        "    def activate(self):",
        *activate,
        "",
        "    def deactivate(self):",
        "        self.active = False",
    ]


def _check(folder: Path, n: int) -> int:
    try:
        import manifold
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        import manifold

    report = manifold.validate([folder])
    for diagnostic in report.diagnostics[:20]:
        print(diagnostic.format(), file=sys.stderr)
    print(f"check: {report.summary()}")
    leaked = sorted(m for m in sys.modules if m.startswith("bench_"))
    if report.diagnostics or len(report.manifests) != n or leaked:
        print(f"check failed (expected {n} valid manifests; imported {leaked})", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="folder to write the plugin folders into")
    parser.add_argument("-n", type=int, default=1000, help="number of plugins (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--lazy-ratio", type=float, default=0.8, help="share of lazy plugins")
    parser.add_argument("--standalone", type=int, default=0, help="last plugins that need no other (see generate)")
    parser.add_argument("--host-hook", metavar="POINT", help="every plugin implements the host's hook POINT")
    parser.add_argument("--check", action="store_true", help="validate the result with manifold")
    args = parser.parse_args(argv)
    ids = generate(
        args.dir,
        args.n,
        seed=args.seed,
        lazy_ratio=args.lazy_ratio,
        standalone=args.standalone,
        host_hook=args.host_hook,
    )
    print(f"wrote {len(ids)} plugin{'s' if len(ids) != 1 else ''} to {args.dir}")
    return _check(args.dir, len(ids)) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
