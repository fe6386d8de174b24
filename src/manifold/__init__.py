"""manifold: a plugin loader built on TOML manifests instead of entry points.

The public names are listed once, in ``__all__``; everything else in the package is private (a
leading underscore, or a module inside one of the subpackages ``manifest``, ``sources``, ``graph``,
``hooks``, ``lifecycle`` and ``tools``). The public modules besides this one are ``manifold.pluggy``
(the pluggy bridge), ``manifold.testing`` (the pytest plugin) and ``manifold.cli`` (``main(argv)``,
the command). Each name is imported from its home on first use, so ``import manifold`` (and the
``manifold`` command) start fast.
"""

from __future__ import annotations

import gc
import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~5-20 ms); type checkers read it as True
if TYPE_CHECKING:
    from typing import Any

    from manifold.codes import DIAGNOSTIC_CODES, REASON_CODES, DiagnosticCode, ReasonCode
    from manifold.config import HostConfig, load_config
    from manifold.errors import (
        ArchiveError,
        ConfigError,
        ExtensionError,
        HookCallError,
        HookError,
        HookTimeoutError,
        ManifestError,
        ManifoldError,
        PackageClaimError,
        PackError,
        SettingsError,
        SourceError,
        StrictModeError,
        UnknownPluginError,
        UsageError,
    )
    from manifold.hooks import HookCaller, HookFailure, HookImpl, HookOutcome, SafeResult
    from manifold.lifecycle.context import PluginContext
    from manifold.lifecycle.redact import redact
    from manifold.manager import LoadReport, Manager, RescanResult
    from manifold.manifest.diagnostics import Diagnostic, Severity
    from manifold.manifest.limits import ManifestLimits
    from manifold.manifest.model import Extension, ExtensionPoint, Manifest, Reference
    from manifold.registry import ExtensionHandle, Point
    from manifold.sources.archives import ArchiveLimits
    from manifold.sources.locations import ArchiveSource, FolderSource, PackageSource, Source
    from manifold.states import Phase, PluginInfo, Reason, State
    from manifold.tools.pack import Packed, pack
    from manifold.tools.verify import verify_archive
    from manifold.validation import Report, load_manifest, validate

__all__ = [
    "DIAGNOSTIC_CODES",
    "REASON_CODES",
    "ArchiveError",
    "ArchiveLimits",
    "ArchiveSource",
    "ConfigError",
    "Diagnostic",
    "DiagnosticCode",
    "Extension",
    "ExtensionError",
    "ExtensionHandle",
    "ExtensionPoint",
    "FolderSource",
    "HookCallError",
    "HookCaller",
    "HookError",
    "HookFailure",
    "HookImpl",
    "HookOutcome",
    "HookTimeoutError",
    "HostConfig",
    "LoadReport",
    "Manager",
    "Manifest",
    "ManifestError",
    "ManifestLimits",
    "ManifoldError",
    "PackError",
    "PackageClaimError",
    "PackageSource",
    "Packed",
    "Phase",
    "PluginContext",
    "PluginInfo",
    "Point",
    "Reason",
    "ReasonCode",
    "Reference",
    "Report",
    "RescanResult",
    "SafeResult",
    "SettingsError",
    "Severity",
    "Source",
    "SourceError",
    "State",
    "StrictModeError",
    "UnknownPluginError",
    "UsageError",
    "load_config",
    "load_manifest",
    "pack",
    "redact",
    "validate",
    "verify_archive",
]

__version__ = "0.1.0"

_HOMES = {
    "DIAGNOSTIC_CODES": "codes",
    "DiagnosticCode": "codes",
    "REASON_CODES": "codes",
    "ReasonCode": "codes",
    "load_config": "config",
    "ArchiveError": "errors",
    "ConfigError": "errors",
    "ExtensionError": "errors",
    "HookCallError": "errors",
    "HookError": "errors",
    "HookTimeoutError": "errors",
    "ManifestError": "errors",
    "ManifoldError": "errors",
    "PackError": "errors",
    "PackageClaimError": "errors",
    "SettingsError": "errors",
    "SourceError": "errors",
    "StrictModeError": "errors",
    "UnknownPluginError": "errors",
    "UsageError": "errors",
    "HostConfig": "config",
    "HookCaller": "hooks",
    "HookFailure": "hooks",
    "HookImpl": "hooks",
    "HookOutcome": "hooks",
    "SafeResult": "hooks",
    "PluginContext": "lifecycle.context",
    "redact": "lifecycle.redact",
    "LoadReport": "manager",
    "Manager": "manager",
    "RescanResult": "manager",
    "Diagnostic": "manifest.diagnostics",
    "Report": "validation",
    "Severity": "manifest.diagnostics",
    "ManifestLimits": "manifest.limits",
    "Extension": "manifest.model",
    "ExtensionPoint": "manifest.model",
    "Manifest": "manifest.model",
    "Reference": "manifest.model",
    "ExtensionHandle": "registry",
    "Point": "registry",
    "ArchiveLimits": "sources.archives",
    "verify_archive": "tools.verify",
    "ArchiveSource": "sources.locations",
    "FolderSource": "sources.locations",
    "PackageSource": "sources.locations",
    "Source": "sources.locations",
    "Phase": "states",
    "PluginInfo": "states",
    "Reason": "states",
    "State": "states",
    "Packed": "tools.pack",
    "pack": "tools.pack",
    "load_manifest": "validation",
    "validate": "validation",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'manifold' has no attribute {name!r}")
    # An import builds long-lived objects only (modules, classes, functions): the collector is paused while
    # it runs (~20 young collections, 2-4 ms, for the manager's) and what it built is moved to the oldest
    # generation afterwards, as manifold.sources.gcpause.paused(long_lived=True) does for a discovery.
    pause = gc.isenabled()
    if pause:
        gc.disable()
    try:
        value = getattr(importlib.import_module(f"manifold.{home}"), name)
    finally:
        if pause:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
