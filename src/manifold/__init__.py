"""manifold: a plugin loader built on TOML manifests instead of entry points."""

from manifold.context import PluginContext
from manifold.diagnostics import Diagnostic, Report, Severity
from manifold.errors import ManifestError, ManifoldError, UsageError
from manifold.manager import ExtensionError, LoadReport, Manager, RescanResult, StrictModeError
from manifold.manifest import Extension, ExtensionPoint, Manifest, Reference
from manifold.registry import ExtensionHandle, Point
from manifold.states import PluginInfo, Reason, State
from manifold.validate import load_manifest, validate

__all__ = [
    "Diagnostic",
    "Extension",
    "ExtensionError",
    "ExtensionHandle",
    "ExtensionPoint",
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
    "Severity",
    "State",
    "StrictModeError",
    "UsageError",
    "load_manifest",
    "validate",
]

__version__ = "0.1.0"
