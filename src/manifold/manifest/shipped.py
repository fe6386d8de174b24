"""The schema files manifold ships, read through importlib resources.

A module of its own, light to import: ``manifold schema`` needs only the text of a schema.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["SCHEMA_NAMES", "SchemaName", "schema_text", "shipped_text"]

SchemaName = Literal["plugin", "bundle", "config"]
SCHEMA_NAMES: tuple[SchemaName, ...] = ("plugin", "bundle", "config")


def schema_text(name: SchemaName) -> str:
    """The JSON text of a shipped schema, as editors and catalogs use it."""
    return shipped_text(f"{name}.schema.json")


def shipped_text(filename: str) -> str:
    """The text of a file in manifold's ``schemas/`` folder (read through importlib resources)."""
    from importlib.resources import files  # with tempfile, zipfile...: only when a schema is read

    return files("manifold").joinpath("schemas", filename).read_text(encoding="utf-8")
