"""manifold: a plugin loader built on TOML manifests instead of entry points.

The public names are listed once in ``__all__``; each is imported from its module on first
use, so ``import manifold`` (and the ``manifold`` command) start fast.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~5-20 ms); type checkers read it as True
if TYPE_CHECKING:
    from typing import Any

    from manifold.context import PluginContext
    from manifold.diagnostics import Diagnostic, Report, Severity
    from manifold.errors import ManifestError, ManifoldError, UsageError
    from manifold.hooks import HookCaller, HookCallError, HookError, HookFailure, HookImpl, HookOutcome, SafeResult
    from manifold.manager import ExtensionError, LoadReport, Manager, RescanResult, StrictModeError
    from manifold.manifest import Extension, ExtensionPoint, Manifest, Reference
    from manifold.registry import ExtensionHandle, Point
    from manifold.states import PluginInfo, Reason, State
    from manifold.validation import load_manifest, validate

__all__ = [
    "Diagnostic",
    "Extension",
    "ExtensionError",
    "ExtensionHandle",
    "ExtensionPoint",
    "HookCallError",
    "HookCaller",
    "HookError",
    "HookFailure",
    "HookImpl",
    "HookOutcome",
    "LoadReport",
    "Manager",
    "Manifest",
    "ManifestError",
    "ManifoldError",
    "PluginContext",
    "PluginInfo",
    "Point",
    "Reason",
    "Reference",
    "Report",
    "RescanResult",
    "SafeResult",
    "Severity",
    "State",
    "StrictModeError",
    "UsageError",
    "load_manifest",
    "validate",
]

__version__ = "0.1.0"

_HOMES = {
    "PluginContext": "context",
    "Diagnostic": "diagnostics",
    "Report": "diagnostics",
    "Severity": "diagnostics",
    "ManifestError": "errors",
    "ManifoldError": "errors",
    "UsageError": "errors",
    "HookCallError": "hooks",
    "HookCaller": "hooks",
    "HookError": "hooks",
    "HookFailure": "hooks",
    "HookImpl": "hooks",
    "HookOutcome": "hooks",
    "SafeResult": "hooks",
    "ExtensionError": "manager",
    "LoadReport": "manager",
    "Manager": "manager",
    "RescanResult": "manager",
    "StrictModeError": "manager",
    "Extension": "manifest",
    "ExtensionPoint": "manifest",
    "Manifest": "manifest",
    "Reference": "manifest",
    "ExtensionHandle": "registry",
    "Point": "registry",
    "PluginInfo": "states",
    "Reason": "states",
    "State": "states",
    "load_manifest": "validation",
    "validate": "validation",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'manifold' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"manifold.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
