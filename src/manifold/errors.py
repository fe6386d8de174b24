"""The one tree of errors manifold raises on purpose; each carries the object it is about.

::

    ManifoldError
    ├── UsageError (ValueError)          a caller asked for what cannot be done
    │   └── SourceError                  a source cannot be read
    ├── ManifestError (ValueError)       a manifest is invalid: .file, .diagnostics
    ├── ConfigError (ValueError)         the host configuration is invalid: .diagnostics
    ├── ArchiveError (ValueError)        an archive is refused: .file, .diagnostics
    ├── PackError                        a folder cannot be packed: .diagnostics
    ├── PackageClaimError (ImportError)  a package is served for another plugin: .package, .plugin, .owner
    ├── ExtensionError (LookupError)     an extension or point cannot be used: .point, .plugin
    ├── UnknownPluginError (LookupError) no source has the plugin id: .plugin
    ├── SettingsError (ValueError)       settings or a point declaration are invalid: .plugin, .problems
    ├── StrictModeError (RuntimeError)   required plugins are not active: .plugins
    └── HookError                        a hook cannot be called: .hook
        ├── HookCallError (TypeError)    a hook was called wrongly
        └── HookTimeoutError (TimeoutError) an implementation overran the time limit: .plugin, .seconds
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from manifold.manifest.diagnostics import Diagnostic
    from manifold.states import Reason

__all__ = [
    "ArchiveError",
    "ConfigError",
    "ExtensionError",
    "HookCallError",
    "HookError",
    "HookTimeoutError",
    "ManifestError",
    "ManifoldError",
    "PackError",
    "PackageClaimError",
    "SettingsError",
    "SourceError",
    "StrictModeError",
    "UnknownPluginError",
    "UsageError",
    "describe",
    "printable",
]


class ManifoldError(Exception):
    """Base class of every error manifold raises on purpose."""


class UsageError(ManifoldError, ValueError):
    """The caller asked for something that cannot be done (a missing path, a bad option)."""


class SourceError(UsageError):
    """A source cannot be read (a missing folder, a package that is not installed)."""


class ManifestError(ManifoldError, ValueError):
    """A manifest is not valid; ``diagnostics`` holds every problem found, each with its place."""

    def __init__(self, file: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.file = file
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"] or list(diagnostics)
        lines = "\n".join(d.format() for d in errors)
        super().__init__(f"{file} is not a valid manifest:\n{lines}")


class ConfigError(ManifoldError, ValueError):
    """The configuration (a file or an environment variable) is not valid; says where and why."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class ArchiveError(ManifoldError, ValueError):
    """An archive is refused; ``diagnostics`` says every reason, each naming the entry at fault."""

    def __init__(self, file: str, diagnostics: Iterable[Diagnostic]) -> None:
        self.file = file
        self.diagnostics = tuple(diagnostics)
        lines = "\n".join(d.format() for d in self.diagnostics)
        super().__init__(f"{file} is refused:\n{lines}")


class PackError(ManifoldError):
    """The source cannot be packed (it is invalid, or holds a link); ``diagnostics`` says why."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic]) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


class PackageClaimError(ManifoldError, ImportError):
    """A package is already served for another plugin.

    ``package`` is the top-level name, ``plugin`` the plugin that asked for it and ``owner`` the plugin
    it is served for, or ``None`` when no plugin serves it (it is imported from elsewhere, or nobody
    serves it at all).
    """

    def __init__(self, message: str, *, package: str, plugin: str, owner: str | None) -> None:
        ImportError.__init__(self, message, name=package)
        self.package = package
        self.plugin = plugin
        self.owner = owner


class ExtensionError(ManifoldError, LookupError):
    """An extension or a point cannot be used; ``point`` and ``plugin`` say which."""

    def __init__(self, message: str, *, point: str, plugin: str | None = None) -> None:
        super().__init__(message)
        self.point = point
        self.plugin = plugin


class UnknownPluginError(ManifoldError, LookupError):
    """No source has the plugin id ``plugin``."""

    def __init__(self, plugin: str) -> None:
        super().__init__(f"unknown plugin {plugin!r}: no source has it")
        self.plugin = plugin


class SettingsError(ManifoldError, ValueError):
    """Values are refused by the schema that checks them; ``problems`` lists every one.

    ``plugin`` names the plugin whose settings were refused, or is ``None`` for a point the host
    declares in code (``subject`` then names the point).
    """

    def __init__(self, subject: str, problems: Sequence[str], *, plugin: str | None = None) -> None:
        super().__init__(f"{subject}: {'; '.join(problems)}")
        self.subject = subject
        self.plugin = plugin
        self.problems = tuple(problems)


class StrictModeError(ManifoldError, RuntimeError):
    """In strict mode, plugins the host marked required are not active; ``plugins`` maps id -> reason."""

    def __init__(self, plugins: Mapping[str, Reason | None]) -> None:
        self.plugins = dict(plugins)
        lines = "; ".join(f"{pid}: {reason or 'not active'}" for pid, reason in sorted(self.plugins.items()))
        super().__init__(f"required plugins are not active: {lines}")


class HookError(ManifoldError):
    """A hook cannot be called; ``hook`` is the id of its point."""

    def __init__(self, message: str, *, hook: str) -> None:
        super().__init__(message)
        self.hook = hook


class HookCallError(HookError, TypeError):
    """A hook was called wrongly: positional, missing or unknown arguments, or synchronously
    while some of its implementations are ``async``."""


class HookTimeoutError(HookError, TimeoutError):
    """An implementation of a hook ran longer than the call's time limit and was cut off (its thread
    is left to finish on its own); ``plugin`` is its plugin, ``seconds`` the limit."""

    def __init__(self, message: str, *, hook: str, plugin: str, seconds: float) -> None:
        super().__init__(message, hook=hook)
        self.plugin = plugin
        self.seconds = seconds


def printable(value: object) -> str:
    """``str(value)``, or ``<unprintable Type>`` when that raises (code outside manifold can make it);
    only ``KeyboardInterrupt`` goes through."""
    try:
        return str(value)
    except KeyboardInterrupt:
        raise
    except BaseException:
        return f"<unprintable {type(value).__name__}>"


def describe(error: BaseException, *, limit: int | None = None) -> str:
    """``Type: message`` of an exception (``Type`` alone when it says nothing), never raising, cut at ``limit``."""
    words = printable(error)
    text = f"{type(error).__name__}: {words}" if words else type(error).__name__
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
