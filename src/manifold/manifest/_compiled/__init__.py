"""Validators generated from the shipped schemas by schemas/compile_validators.py.

The generated code raises these two exceptions; they are defined here so that running a validator
needs nothing of fastjsonschema, which generates them (a development tool, not a run-time dependency).
They keep fastjsonschema's constructors, so its generated code runs unchanged.
"""

from __future__ import annotations

from typing import Any


class JsonSchemaValueException(ValueError):
    """A value breaks the schema: ``message``, the ``value``, its ``name`` (path), the ``definition`` and ``rule``."""

    def __init__(
        self, message: str, value: Any = None, name: str | None = None, definition: Any = None, rule: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.definition = definition
        self.rule = rule


class JsonSchemaValuesException(ValueError):
    """Several values break the schema (``errors``)."""

    def __init__(self, errors: list[JsonSchemaValueException]) -> None:
        self.message = "; ".join(error.message for error in errors)
        super().__init__(self.message)
        self.errors = errors
