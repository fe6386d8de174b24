"""The file names manifold looks for in a plugin or bundle folder."""

from __future__ import annotations

__all__ = ["BUNDLE_NAME", "MANIFEST_NAME"]

MANIFEST_NAME = "plugin.toml"
BUNDLE_NAME = "bundle.toml"
