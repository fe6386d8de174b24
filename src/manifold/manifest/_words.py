"""Small helpers that turn values into the words of messages: quoting, TOML type names, suggestions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "a table",
    "null": "nothing",
}


def show(value: Any, *, limit: int = 60) -> str:
    """A value as it would be written in TOML, shortened for a message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        import json  # only when a message shows a string

        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, datetime.date | datetime.time):
        text = value.isoformat()
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, list):
        text = "[" + ", ".join(show(v, limit=limit) for v in value[:5])
        text += ", ...]" if len(value) > 5 else "]"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def toml_type(value: Any) -> str:
    """The TOML name of a value's type, with its article ("a string", "an array", ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return "a date/time"
    return type(value).__name__


def type_words(schema_type: str | list[str]) -> str:
    """A JSON Schema ``type`` in TOML words: ``"object"`` -> ``"a table"``."""
    names = [schema_type] if isinstance(schema_type, str) else schema_type
    return " or ".join(_TYPE_WORDS.get(n, n) for n in names)


def quoted_list(values: Iterable[Any]) -> str:
    return ", ".join(show(v) for v in values)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``'; did you mean "version"?'`` when a choice is close to ``word``, else ``""``."""
    import difflib  # only when a message needs a suggestion

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {show(close[0])}?" if close else ""
