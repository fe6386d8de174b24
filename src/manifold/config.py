"""Host configuration: the options (``HostConfig``), from ``manifold.toml``/``[tool.manifold]`` and the environment.

The options are defined once, as the fields of ``HostConfig``; ``Manager(sources, config=..., **overrides)``
takes them as keywords. This is the only module that reads the process environment: a ``Manager`` built in
code reads none unless the host asks (``Manager.from_config``, the command line, or ``environ=``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from manifold._secrets import redact_host_settings
from manifold._values import field, fields, value_type
from manifold.errors import ConfigError, UsageError
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits

if TYPE_CHECKING:
    from packaging.version import Version

    from manifold.manifest.diagnostics import Diagnostic
    from manifold.manifest.locate import KeyPath
    from manifold.manifest.model import ExtensionPoint, Manifest

# packaging (a version option), the diagnostics and the TOML reader (a configuration file) are imported when used.

__all__ = ["HostConfig", "HostFile", "default_cache_dir", "find_config", "load_config", "process_environment"]

Severity = Literal["error", "warning"]

CONFIG_NAME = "manifold.toml"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@value_type
class HostConfig:
    """Every option a host sets: which plugins may load (versions, lists, callbacks), their settings,
    the time limit on plugin code, and how manifests are read (cache, processes).

    ``enabled`` (when given and not empty) names the only plugins that may load; ``allow`` (when
    given and not empty) is the operator's allow list, ``deny`` their deny list; a plugin in both is
    denied. An empty ``enabled`` or ``allow`` list restricts nothing (``build`` makes it None). Build one with
    ``HostConfig.build(**options)``, which takes plain values (lists, version strings) and checks them.
    """

    app: str | None = None
    app_version: Version | None = None
    api_version: Version | None = None
    api_severity: Severity = "error"
    app_severity: Severity = "error"
    """``"warning"``: a plugin whose ``requires-app`` does not match loads anyway, with a warning."""
    require_target: bool = False
    enabled: frozenset[str] | None = None
    disabled: frozenset[str] = frozenset()
    allow: frozenset[str] | None = None
    deny: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    strict: bool = False
    safe_mode: bool = False
    timeout: float | None = 20.0
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    pre_activate: Callable[[Manifest], bool] | None = field(default=None, compare=False)
    log_unavailable: bool = True
    """Log one WARNING naming the plugins that cannot load for a reason the host did not ask for (a host
    that shows ``report`` itself, such as the ``manifold`` command, turns it off)."""
    cache: bool = True
    cache_dir: Path | None = None
    """Where the manifest cache lives; ``None``: the user's cache folder."""
    jobs: int | None = None
    """Processes that read uncached manifests; ``None``: one per usable CPU when there are many."""
    manifest_limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS
    """The limits on each manifest file read (size, nesting depth, diagnostics reported)."""

    @classmethod
    def build(
        cls, base: HostConfig | None = None, /, *, environ: Mapping[str, str] | None = None, **options: Any
    ) -> HostConfig:
        """``base`` (or the defaults) with ``options`` given as plain values: lists for the id lists,
        strings for versions. ``environ``, when given, is the operator's: ``MANIFOLD_ALLOW`` and
        ``MANIFOLD_DENY`` in it extend the allow and deny lists. Raises UsageError naming every
        unknown option and ValueError for a bad value."""
        unknown = sorted(set(options) - _OPTION_NAMES)
        if unknown:
            raise UsageError(
                f"unknown host option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"the options are {', '.join(sorted(_OPTION_NAMES))}"
            )
        values = {f.name: getattr(base, f.name) for f in fields(cls)} if base is not None else {}
        for name, value in options.items():
            convert = _CONVERT.get(name)
            values[name] = convert(value, name) if convert is not None and value is not None else value
        for severity in ("api_severity", "app_severity"):
            if values.get(severity, "error") not in ("error", "warning"):
                raise ValueError(f'{severity} must be "error" or "warning", not {values[severity]!r}')
        if environ:
            allow, deny = _names_in(environ.get("MANIFOLD_ALLOW")), _names_in(environ.get("MANIFOLD_DENY"))
            if allow:
                values["allow"] = (values.get("allow") or frozenset()) | allow
            values["deny"] = values.get("deny", frozenset()) | deny
        return cls(**values)

    def __repr__(self) -> str:
        """The options, with the settings under secret keys masked."""
        shown = (
            f"{f.name}={redact_host_settings(self.settings) if f.name == 'settings' else getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"HostConfig({', '.join(shown)})"


def _version(value: Any, name: str) -> Version:
    from packaging.version import Version

    if isinstance(value, Version):
        return value
    try:
        return Version(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: {value!r} is not a valid PEP 440 version") from e


def _names_in(value: str | None) -> frozenset[str]:
    """The ids of a comma-separated list (an environment variable's), blanks ignored."""
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


_OPTION_NAMES = frozenset(f.name for f in fields(HostConfig))
_CONVERT: dict[str, Callable[[Any, str], Any]] = {
    "app_version": _version,
    "api_version": _version,
    "enabled": lambda value, _: frozenset(value) or None,  # empty: no restriction, as when left out
    "disabled": lambda value, _: frozenset(value),
    "allow": lambda value, _: frozenset(value) or None,
    "deny": lambda value, _: frozenset(value),
    "required": lambda value, _: frozenset(value),
    "settings": lambda value, _: dict(value),
    "cache_dir": lambda value, _: Path(value),
    "manifest_limits": lambda value, name: _manifest_limits(value, name),
}


def _manifest_limits(value: Any, name: str) -> ManifestLimits:
    """ManifestLimits from itself or a table (``max-size``/``max_size``, ...): the keys left out keep their defaults."""
    if isinstance(value, ManifestLimits):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: expected ManifestLimits or a table of limits, not {value!r}")
    known = {f.name for f in fields(ManifestLimits)}
    given = {str(key).replace("-", "_"): number for key, number in value.items()}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(f"{name}: unknown limit {', '.join(unknown)}; the limits are {', '.join(sorted(known))}")
    return ManifestLimits(**given)


def default_cache_dir(platform: str = sys.platform) -> Path:
    """Where manifest caches live by default, in the platform's cache folder: ``$XDG_CACHE_HOME/manifold``
    (else ``~/.cache/manifold``) on Linux and other Unixes, ``~/Library/Caches/manifold`` on macOS,
    ``%LOCALAPPDATA%\\manifold\\Cache`` on Windows."""
    environ = process_environment()
    home = os.path.expanduser("~")
    if platform == "win32":
        return Path(environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")) / "manifold" / "Cache"
    if platform == "darwin":
        return Path(home) / "Library" / "Caches" / "manifold"
    return Path(environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")) / "manifold"


def process_environment() -> Mapping[str, str]:
    """The process environment: what the command line and ``Manager.from_config`` pass as ``environ``."""
    return os.environ


@value_type
class HostFile:
    """A loaded configuration: where it came from, the Manager options it gives, and the points the
    host declares in code (``[[host-points]]``), with the warnings about them."""

    path: Path | None
    options: Mapping[str, Any] = field(default_factory=dict)
    host_points: tuple[ExtensionPoint, ...] = ()
    """The ``[[host-points]]``, as the points of a manifest (``plugin`` None)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Warnings about the file (its errors raise ConfigError), placed at their line."""


def find_config(start: str | os.PathLike[str] = ".") -> Path | None:
    """``manifold.toml``, or a ``pyproject.toml`` with ``[tool.manifold]``, in ``start`` or above."""
    folder = Path(start).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and b"[tool.manifold" in pyproject.read_bytes():
            return pyproject
    return None


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    start: str | os.PathLike[str] = ".",
    environ: Mapping[str, str] | None = None,
    required: bool = False,
) -> HostFile:
    """Read the configuration at ``path`` (or the one found from ``start`` upwards), then apply
    the ``MANIFOLD_*`` environment variables. Raises ConfigError naming the key or variable."""
    env = process_environment() if environ is None else environ
    if path is not None and not Path(path).is_file():
        raise UsageError(f"{path}: no such configuration file")
    file = Path(path) if path is not None else find_config(start)
    if file is None and required:
        raise ConfigError(
            f"no {CONFIG_NAME} or pyproject.toml with [tool.manifold] in {Path(start).resolve()} or above"
        )
    if file is None:
        return HostFile(None, {**_environment(env), "environ": env})
    options, points, warnings = _read(file)
    options.update(_environment(env))
    options["environ"] = env
    return HostFile(file, options, points, warnings)


def _read(file: Path) -> tuple[dict[str, Any], tuple[ExtensionPoint, ...], tuple[Diagnostic, ...]]:
    """The options, the host points and the warnings of the configuration ``file``; ConfigError for its errors."""
    from manifold.manifest.toml import read_toml  # the TOML reader: only when a configuration file is read

    read = read_toml(file, file=str(file), what="configuration")
    if read.data is None or read.text is None:
        assert read.error is not None
        raise ConfigError(f"{file} is not a valid configuration:\n{read.error.format()}", (read.error,))
    text, document = read.text, read.data
    prefix: KeyPath = ()
    data: Any = document
    if file.name == "pyproject.toml":
        prefix = ("tool", "manifold")
        data = document.get("tool", {}).get("manifold")
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: no [tool.manifold] table")
    from manifold.manifest.diagnostics import Problem, place
    from manifold.manifest.model import ExtensionPoint
    from manifold.manifest.rules import point_problems
    from manifold.manifest.schema import schema_problems

    found = [*schema_problems("config", data), *point_problems(data.get("host-points"), "host-points")]
    problems = [Problem(p.code, prefix + p.path, _reprefix(p.message, p.path, prefix), p.severity) for p in found]
    diagnostics = tuple(place(problems, file=str(file), text=text, plugin=None))
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        lines = "\n".join(d.format() for d in errors)
        raise ConfigError(f"{file} is not a valid configuration:\n{lines}", tuple(errors))
    points = tuple(
        ExtensionPoint.from_data(table, plugin=None, index=i) for i, table in enumerate(data.get("host-points", ()))
    )
    options: dict[str, Any] = {}
    for key, value in data.items():  # the schema admits the HostConfig fields (kebab-case), sources and host-points
        if key == "host-points":
            continue
        name = key.replace("-", "_")
        if name == "sources":
            value = [_source(s, file.parent) for s in value]
        elif name == "timeout":
            value = value or None  # 0: no limit
        elif name == "cache_dir":
            value = str(file.parent / os.path.expanduser(value))
        options[name] = value
    return options, points, diagnostics


def _reprefix(message: str, path: KeyPath, prefix: KeyPath) -> str:
    """Messages start with their key path; inside pyproject.toml it starts at ``tool.manifold``."""
    from manifold.manifest.locate import format_path

    inner = format_path(path) or "the manifest"
    if prefix and message.startswith(inner):
        return format_path(prefix + path) + message[len(inner) :]
    return message


def _source(text: str, folder: Path) -> str:
    if text.startswith("pkg://"):
        return text
    path = Path(os.path.expanduser(text))
    return str(path if path.is_absolute() else folder / path)


def _environment(env: Mapping[str, str]) -> dict[str, Any]:
    """The options the operator's ``MANIFOLD_*`` variables set (allow and deny are read by the host)."""
    options: dict[str, Any] = {}
    if "MANIFOLD_PATH" in env:
        options["sources"] = [part for part in env["MANIFOLD_PATH"].split(os.pathsep) if part]
    for name, key in (("MANIFOLD_ENABLED", "enabled"), ("MANIFOLD_DISABLED", "disabled")):
        if name in env:
            options[key] = [part.strip() for part in env[name].split(",") if part.strip()]
    for name, key in (("MANIFOLD_SAFE_MODE", "safe_mode"), ("MANIFOLD_STRICT", "strict")):
        if name in env:
            options[key] = _boolean(name, env[name])
    if "MANIFOLD_TIMEOUT" in env:
        options["timeout"] = _seconds("MANIFOLD_TIMEOUT", env["MANIFOLD_TIMEOUT"])
    if "MANIFOLD_JOBS" in env:
        options["jobs"] = _processes("MANIFOLD_JOBS", env["MANIFOLD_JOBS"])
    return options


def _boolean(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use 1/true/yes/on or 0/false/no/off")


def _processes(name: str, value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(f"{name}={value!r} is not a number of processes; use 1 (no other process) or more")
    return int(value)


def _seconds(name: str, value: str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ConfigError(f"{name}={value!r} is not a number of seconds; use e.g. 20, 2.5, or 0 for no limit")
    return seconds or None
