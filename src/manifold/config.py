"""Host configuration: ``manifold.toml`` or ``[tool.manifold]`` in ``pyproject.toml``, then the environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manifold.errors import ConfigError
from manifold.manifest.diagnostics import place
from manifold.manifest.locate import KeyPath, format_path

__all__ = ["ConfigError", "HostFile", "find_config", "load_config"]

CONFIG_NAME = "manifold.toml"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class HostFile:
    """A loaded configuration: where it came from and the Manager options it gives."""

    path: Path | None
    options: Mapping[str, Any] = field(default_factory=dict)


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
    env = os.environ if environ is None else environ
    file = Path(path) if path is not None else find_config(start)
    if file is None and required:
        raise ConfigError(
            f"no {CONFIG_NAME} or pyproject.toml with [tool.manifold] in {Path(start).resolve()} or above"
        )
    options = _read(file) if file is not None else {}
    options.update(_environment(env))
    options["environ"] = env
    return HostFile(file, options)


def _read(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{file}: cannot read the configuration: {e}") from e
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{file}: invalid TOML: {e}") from e
    prefix: KeyPath = ()
    data: Any = document
    if file.name == "pyproject.toml":
        prefix = ("tool", "manifold")
        data = document.get("tool", {}).get("manifold")
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: no [tool.manifold] table")
    from manifold.manifest.diagnostics import Problem
    from manifold.manifest.schema import schema_problems

    problems = [
        Problem(p.code, prefix + p.path, _reprefix(p.message, p.path, prefix)) for p in schema_problems("config", data)
    ]
    if problems:
        diagnostics = tuple(place(problems, file=str(file), text=text, plugin=None))
        lines = "\n".join(d.format() for d in diagnostics)
        raise ConfigError(f"{file} is not a valid configuration:\n{lines}", diagnostics)
    folder = file.parent
    options: dict[str, Any] = {}
    if "sources" in data:
        options["sources"] = [_source(s, folder) for s in data["sources"]]
    for key in ("app", "app-version", "api-version", "api-severity", "require-target", "strict", "safe-mode"):
        if key in data:
            options[key.replace("-", "_")] = data[key]
    for key in ("enabled", "disabled", "allow", "deny", "required"):
        if key in data:
            options[key] = list(data[key])
    if "timeout" in data:
        options["timeout"] = data["timeout"] or None
    if "jobs" in data:
        options["jobs"] = data["jobs"]
    if "settings" in data:
        options["settings"] = data["settings"]
    if "cache-dir" in data:
        options["cache_dir"] = str(folder / os.path.expanduser(data["cache-dir"]))
    return options


def _reprefix(message: str, path: KeyPath, prefix: KeyPath) -> str:
    """Messages start with their key path; inside pyproject.toml it starts at ``tool.manifold``."""
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
