"""Every diagnostic code and reason code, with its meaning: the one list that docs, tests and the CLI read.

A code is a stable word a tool can match on. ``DiagnosticCode`` is what ``validate`` reports about a
manifest (``Diagnostic.code``); ``ReasonCode`` is why a plugin stopped (``Reason.code``). Both are
``Literal`` types, so ``mypy --strict`` refuses a misspelt code wherever one is written; the tables
below are the documentation's, row for row (docs/gen.py writes docs/reference/codes.md from them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

__all__ = [
    "ARCHIVE_CODES",
    "DIAGNOSTIC_CODES",
    "REASON_CODES",
    "UNEXPECTED_REASONS",
    "ArchiveCode",
    "DiagnosticCode",
    "ReasonCode",
]

ArchiveCode = Literal["integrity", "unsafe-archive", "bad-archive"]
"""Why an archive is refused: a diagnostic of ``validate`` and the reason of its plugin alike."""
ARCHIVE_CODES: tuple[ArchiveCode, ...] = get_args(ArchiveCode)

DiagnosticCode = Literal[
    "toml-syntax",
    "encoding",
    "read-error",
    "limit",
    "internal-error",
    "manifest-version",
    "schema",
    "unknown-key",
    "missing-key",
    "version",
    "specifier",
    "marker",
    "requirement",
    "reference",
    "missing-module",
    "missing-object",
    "missing-package",
    "missing-path",
    "path-escape",
    "shadowing",
    "invalid-schema",
    "python-syntax",
    "duplicate-id",
    "duplicate-point",
    "duplicate-extension",
    "package-conflict",
    "version-conflict",
    "cycle",
    "dependency-invalid",
    "config",
    "missing-dependency",
    "unknown-point",
    "cardinality",
    "hook-parameters",
    "hook-option",
    "undeclared-import",
    "no-manifests",
    "source",
    "integrity",
    "unsafe-archive",
    "bad-archive",
    "symlink",
    "unpackable",
    "write-error",
]
"""What ``validate`` says about a manifest: ``Diagnostic.code``."""

DIAGNOSTIC_CODES: Mapping[DiagnosticCode, tuple[str, str]] = {
    # code: (severity, what is wrong)
    "toml-syntax": ("error", "the file is not valid TOML (with the line and column of the mistake)"),
    "encoding": ("error", "the file is not UTF-8"),
    "read-error": ("error", "a file or folder cannot be read (with the system's reason)"),
    "limit": (
        "error",
        "a file beyond a limit: its size, how deep it nests, or how many problems it has (the rest are counted)",
    ),
    "internal-error": ("error", "reading or checking this file failed inside manifold; the other files are read"),
    "manifest-version": ("error", "a `manifest-version` this manifold does not read"),
    "schema": ("error", "a value of the wrong type or form (pattern, enum, length, duplicates in a list)"),
    "unknown-key": ("error", 'a key the format does not have, with a "did you mean"'),
    "missing-key": ("error", "a required key is missing"),
    "version": ("error", "`plugin.version` is not a PEP 440 version"),
    "specifier": ("error", "a `requires-*` or dependency value is not a PEP 440 specifier"),
    "marker": ("error", "`markers` is not a valid PEP 508 environment marker"),
    "requirement": ("error", "an entry of `requires` is not a valid PEP 508 requirement"),
    "reference": ("error", "a `module:Qualname` reference points outside the plugin's `packages`"),
    "missing-module": ("error", "the module of a reference has no file under `source-root`"),
    "missing-object": ("error", "the module exists but does not define the referenced name"),
    "missing-package": ("error", "a declared package has no folder or module under `source-root`"),
    "missing-path": ("error", "`source-root` does not exist"),
    "path-escape": ("error", "`source-root` is absolute or leaves the plugin folder with `..`"),
    "shadowing": ("error", "a package would shadow a standard-library or installed module"),
    "invalid-schema": ("error", "`settings-schema` or a `config-schema` is not a valid JSON Schema"),
    "python-syntax": ("error", "a Python file of the plugin does not parse"),
    "duplicate-id": ("error", "two manifests declare the same plugin id"),
    "duplicate-point": ("error", "two points (in one plugin or across plugins) have the same id"),
    "duplicate-extension": ("error", "a plugin contributes two extensions with the same id to one point"),
    "package-conflict": ("error", "two plugins claim the same top-level package"),
    "version-conflict": (
        "error (warning for an optional dependency)",
        "a dependency is present in a version that does not satisfy the specifier",
    ),
    "cycle": ("error", "plugins depend on each other in a cycle, named in full (`a -> b -> c -> a`)"),
    "dependency-invalid": ("error", "a plugin depends on an invalid plugin, with the chain of reasons"),
    "config": ("error", "an extension's `config` does not match its point's `config-schema`"),
    "missing-dependency": ("warning (error with `--strict`)", "a dependency is not among the validated manifests"),
    "unknown-point": (
        "warning",
        "an extension's point is declared by no manifest and no `[[host-points]]` (the host may add it in code)",
    ),
    "cardinality": ("warning", 'a second extension to a `cardinality = "one"` point'),
    "hook-parameters": (
        "error",
        "a hook implementation (a plain function the code scan reads) takes a parameter its hook does not declare",
    ),
    "hook-option": ("warning", "`parameters`, `firstresult` or `timeout` on a point that is not a hook"),
    "undeclared-import": ("warning", "the plugin's code imports another plugin's package without depending on it"),
    "no-manifests": ("warning (error with `--strict`)", "a folder given holds no `plugin.toml`"),
    "source": ("warning", "a source of the host cannot be read (a missing folder, a package that is not installed)"),
    "integrity": (
        "error",
        (
            "a file of an archive differs from its `MANIFOLD-HASHES`, is missing from it or not listed in"
            " it, or the list is missing"
        ),
    ),
    "unsafe-archive": (
        "error",
        ("an archive entry with `..` or an absolute name, a link, a duplicate, encryption, or sizes beyond the limits"),
    ),
    "bad-archive": ("error", "not a zip archive, or one without `plugin.toml` or `bundle.toml` at its root"),
    "symlink": ("error", "`manifold pack`: the folder to pack holds a symbolic link"),
    "unpackable": (
        "error",
        (
            "`manifold pack`: a file no archive may hold (the name `MANIFOLD-HASHES` at the root, a backslash"
            " or a control character in the name; a pipe, socket or device)"
        ),
    ),
    "write-error": ("error", "`manifold pack`: the archive cannot be written"),
}

ReasonCode = Literal[
    "invalid",
    "integrity",
    "unsafe-archive",
    "bad-archive",
    "shadowed",
    "not-found",
    "disabled",
    "not-enabled",
    "denied",
    "incompatible-api",
    "incompatible-app",
    "incompatible-python",
    "wrong-target",
    "missing-target",
    "markers",
    "missing-requirement",
    "invalid-settings",
    "pre-activate-rejected",
    "removed",
    "missing-dependency",
    "version-conflict",
    "cycle",
    "package-conflict",
    "duplicate-point",
    "dependency-unavailable",
    "failed",
]
"""Why a plugin is not (or no longer) available: ``Reason.code``."""

REASON_CODES: Mapping[tuple[ReasonCode, ...], tuple[str, str]] = {
    # the codes of one row: (the state the plugin is left in, why)
    ("invalid",): ("filtered", "the manifest has errors (the first one, and how many more)"),
    ("integrity", "unsafe-archive", "bad-archive"): (
        "filtered",
        (
            "an archive is refused before anything in it runs (tampered with, unsafe, or not a plugin "
            "archive; see [Archives](#archives))"
        ),
    ),
    ("shadowed",): ("filtered", "the same id is in an earlier source"),
    ("not-found",): ("filtered", "a plugin the host enabled or requires is in no source"),
    ("disabled", "not-enabled", "denied"): ("filtered", "the host's and the operator's lists"),
    ("incompatible-api", "incompatible-app", "incompatible-python"): ("filtered", "a version requirement is not met"),
    ("wrong-target", "missing-target"): (
        "filtered",
        "made for another application, or names none when the host requires it",
    ),
    ("markers", "missing-requirement"): (
        "filtered",
        "environment markers are false, an installed distribution is missing",
    ),
    ("invalid-settings",): ("filtered", "the host's settings for it fail its `settings-schema`"),
    ("pre-activate-rejected",): ("filtered", "the host's callback said no (or raised)"),
    ("removed",): ("filtered", "the host called `remove(id)`"),
    ("missing-dependency", "version-conflict", "cycle"): ("unresolved", "its dependencies cannot be met"),
    ("package-conflict", "duplicate-point"): (
        "unresolved",
        "an earlier plugin already ships that package or declares that point",
    ),
    ("dependency-unavailable",): (
        "unresolved",
        "a dependency is unavailable; `reason.chain` names the way to the cause, `reason.cause` is its reason",
    ),
    ("failed",): (
        "failed",
        "its code raised or hung; `reason.phase` is `import`, `construct`, `activate`, `deactivate` or `timeout`",
    ),
}

UNEXPECTED_REASONS: frozenset[ReasonCode] = frozenset(
    {
        "invalid",
        "integrity",
        "unsafe-archive",
        "bad-archive",
        "not-found",
        "missing-dependency",
        "version-conflict",
        "cycle",
        "package-conflict",
        "duplicate-point",
        "dependency-unavailable",
        "missing-requirement",
        "invalid-settings",
        "failed",
    }
)
"""Reasons that are news to a host: something is broken or missing. The others are what the host asked for
(its lists, its versions, its target, its callback) or the plugin declared (markers, Python versions)."""
