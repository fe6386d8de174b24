"""Manifests are read by tomli (compiled), which must mean exactly what tomllib and the editors read: TOML 1.0."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import tomli
import tomli_w
from hypothesis import given
from hypothesis import strategies as st
from tests.manifest.test_properties import documents

from manifold.manifest.toml import loads


def read(reader: Any, text: str) -> object:
    try:
        return reader(text)
    except (tomllib.TOMLDecodeError, tomli.TOMLDecodeError) as e:
        return ("error", str(e))


@pytest.mark.parametrize(
    "text",
    [
        "a = {x = 1,\n y = 2}",  # TOML 1.1: newlines in an inline table
        "a = {x = 1,}",  # TOML 1.1: a trailing comma in an inline table
        'a = "\\e"',  # TOML 1.1: the \e escape
        'a = "\\x41"',  # TOML 1.1: \x escapes
        "t = 07:32",  # TOML 1.1: a time without seconds
        "[x]\ny = 1\n[x]\n",
        'a = """\nb"""\nc = 1979-05-27T07:32:00Z\n',
    ],
)
def test_what_toml_1_0_refuses_is_refused(text: str) -> None:
    assert loads is tomli.loads
    assert read(loads, text) == read(tomllib.loads, text)


@given(documents)
def test_the_same_documents(data: dict[str, Any]) -> None:
    text = tomli_w.dumps(data)
    assert read(loads, text) == read(tomllib.loads, text) == data


@given(documents, st.integers(min_value=0), st.text(alphabet="=[]{},.\"'#\\\n \t01ab:-+eE_", min_size=1, max_size=4))
def test_the_same_verdicts_and_messages_on_damaged_documents(data: dict[str, Any], at: int, insert: str) -> None:
    text = tomli_w.dumps(data)
    where = at % (len(text) + 1)
    damaged = text[:where] + insert + text[where:]
    assert read(loads, damaged) == read(tomllib.loads, damaged)
