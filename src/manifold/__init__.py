"""manifold: a plugin loader built on TOML manifests instead of entry points."""

from manifold.diagnostics import Diagnostic, Report, Severity
from manifold.errors import ManifestError, ManifoldError, UsageError
from manifold.manifest import Extension, ExtensionPoint, Manifest, Reference
from manifold.validate import load_manifest, validate

__all__ = [
    "Diagnostic",
    "Extension",
    "ExtensionPoint",
    "Manifest",
    "ManifestError",
    "ManifoldError",
    "Reference",
    "Report",
    "Severity",
    "UsageError",
    "load_manifest",
    "validate",
]

__version__ = "0.1.0"
