"""Tests of manifold.manifest.locate: key paths mapped to lines and columns of the TOML text."""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from manifold.manifest.locate import KeyPath, Locator, Position, format_path


def pos(text: str, path: KeyPath) -> tuple[int, int] | None:
    found = Locator(text).find(path)
    return None if found is None else (found.line, found.column)


# -- oracles: read the text at a position without the module's help ----------------------------


def _offset(text: str, position: Position) -> int:
    """The offset of a position in ``text`` (BOM removed); fails if it is not on a character."""
    lines = text.removeprefix("\ufeff").split("\n")
    assert 1 <= position.line <= len(lines)
    assert 1 <= position.column <= len(lines[position.line - 1])
    return sum(len(line) + 1 for line in lines[: position.line - 1]) + position.column - 1


_KEY_TOKEN = re.compile(r"""[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'""")


def _key_at(rest: str) -> tuple[str, int] | None:
    """The key written at the start of ``rest``, decoded by tomllib, and its length."""
    match = _KEY_TOKEN.match(rest)
    if match is None:
        return None
    token = match.group()
    return (tomllib.loads(f"k = {token}")["k"] if token[0] in "\"'" else token), len(token)


def _header_at(rest: str) -> tuple[bool, tuple[str, ...]] | None:
    """(is it ``[[...]]``, its keys) for a table header at the start of ``rest``."""
    if not rest.startswith("["):
        return None
    try:
        node: Any = tomllib.loads(rest.split("\n", 1)[0].removesuffix("\r"))
    except tomllib.TOMLDecodeError:
        return None
    keys: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        keys.append(key)
    return isinstance(node, list), tuple(keys)


def _is_header_for(rest: str, path: KeyPath, value: object) -> bool:
    header = _header_at(rest)
    if header is None or header[1] != tuple(p for p in path if isinstance(p, str)):
        return False
    aot = header[0]
    if isinstance(path[-1], int):
        return aot and isinstance(value, dict)
    return isinstance(value, list) if aot else isinstance(value, dict)


def _value_length(rest: str, value: object) -> int | None:
    """The length of the TOML value at the start of ``rest`` if tomllib reads it as ``value``."""
    ends = [i for i, char in enumerate(rest) if char in ",]}\r\n#"] + [len(rest)]
    parsed_once = False
    for end in ends:
        try:
            parsed = tomllib.loads(f"v = {rest[:end]}")["v"]
        except tomllib.TOMLDecodeError:
            if parsed_once:  # past the end of the value
                return None
            continue
        if repr(parsed) == repr(value):  # repr: nan equals nan, -0.0 differs from 0.0
            return end
        parsed_once = True  # e.g. the date part of a date-time: read on
    return None


_FRESH = "fresh9marker"


def _replaced(body: str, offset: int, length: int, new: str) -> object:
    """What tomllib reads once ``length`` characters at ``offset`` are replaced with ``new``."""
    return tomllib.loads(body[:offset] + new + body[offset + length :])


def _lookup(node: Any, path: KeyPath) -> object:
    for part in path:
        node = node[part]
    return node


def _walk(node: object, path: KeyPath = ()) -> Iterator[tuple[KeyPath, object]]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield (*path, key), child
        yield from _walk(child, (*path, key))


def assert_all_located(text: str) -> None:
    """Every path of what tomllib reads from ``text`` is found, on the right piece of text."""
    document = tomllib.loads(text.removeprefix("\ufeff"))
    locator = Locator(text)
    body = text.removeprefix("\ufeff")
    offsets: dict[KeyPath, int] = {}
    aot_elements: list[KeyPath] = []
    for path, value in _walk(document):
        found = locator.find(path)
        assert found is not None, f"{format_path(path)} not found"
        offsets[path] = _offset(text, found)
        rest = body[offsets[path] :]
        where = f"{format_path(path)} at {found}: {rest[:30]!r}"
        key = _key_at(rest)
        if isinstance(path[-1], str) and key is not None and key[0] == path[-1]:
            # the very key of this path: renamed there, the path is renamed in what tomllib reads
            # (unless renaming the header of an implicit table makes a later header invalid)
            with contextlib.suppress(tomllib.TOMLDecodeError):
                renamed = _replaced(body, offsets[path], key[1], _FRESH)
                assert _lookup(renamed, (*path[:-1], _FRESH)) is not None, where
        elif _is_header_for(rest, path, value):
            if isinstance(path[-1], int):
                aot_elements.append(path)
        else:  # an element of an inline array: replaced there, this element is replaced
            length = _value_length(rest, value)
            assert isinstance(path[-1], int), where
            assert length is not None, where
            assert _lookup(_replaced(body, offsets[path], length, f"'{_FRESH}'"), path) == _FRESH
        assert locator.nearest((*path, "\x00absent")) == (path, found)
    for path, value in _walk(document):  # array elements are found in order
        if isinstance(value, list) and len(value) > 1:
            places = [offsets[(*path, i)] for i in range(len(value))]
            assert places == sorted(set(places)), format_path(path)
    for element in aot_elements:  # what is in an [[element]] is after it, before the next one
        start, index = offsets[element], element[-1]
        assert isinstance(index, int)
        end = offsets.get((*element[:-1], index + 1), len(body))
        for path, offset in offsets.items():
            if path[: len(element)] == element and path != element:
                assert start < offset < end, f"{format_path(path)} outside {format_path(element)}"


# -- example-based tests --------------------------------------------------------------------------


def test_key_in_table() -> None:
    text = "[t]\na = 1\n  b = 2\n"
    assert pos(text, ("t",)) == (1, 1)
    assert pos(text, ("t", "a")) == (2, 1)
    assert pos(text, ("t", "b")) == (3, 3)
    assert pos(text, ("a",)) is None


def test_top_level_keys_before_any_table() -> None:
    text = 'name = "demo"\nversion = "1.0"\n[t]\nname = 1\n'
    assert pos(text, ("name",)) == (1, 1)
    assert pos(text, ("version",)) == (2, 1)
    assert pos(text, ("t", "name")) == (4, 1)


def test_dotted_keys_at_top_level() -> None:
    text = "a.b.c = 1\na.b.d = 2\na . e = 3\n"
    assert pos(text, ("a", "b", "c")) == (1, 5)
    assert pos(text, ("a", "b")) == (1, 3)
    assert pos(text, ("a",)) == (1, 1)
    assert pos(text, ("a", "b", "d")) == (2, 5)
    assert pos(text, ("a", "e")) == (3, 5)


def test_dotted_keys_in_a_table() -> None:
    text = "[t]\n  x . 'y.z' = 2\n"
    assert pos(text, ("t", "x")) == (2, 3)
    assert pos(text, ("t", "x", "y.z")) == (2, 7)


def test_table_headers() -> None:
    text = '[plugin]\nname = "x"\n\n  [ a . "b.c" . d ]\nk = 1\n[a."b.c"]\n'
    assert pos(text, ("plugin",)) == (1, 1)
    assert pos(text, ("a", "b.c", "d")) == (4, 3)
    assert pos(text, ("a", "b.c", "d", "k")) == (5, 1)
    assert pos(text, ("a", "b.c")) == (4, 9)  # first mentioned in the header of its sub-table
    assert pos(text, ("a",)) == (4, 5)


def test_table_position_is_its_first_definition() -> None:
    text = "[a.b]\nx = 1\n[a]\ny = 2\n[c]\nd.e = 1\n"
    assert pos(text, ("a",)) == (1, 2)
    assert pos(text, ("a", "b")) == (1, 1)
    assert pos(text, ("a", "y")) == (4, 1)
    assert pos(text, ("c", "d")) == (6, 1)


def test_arrays_of_tables() -> None:
    text = "[[extensions]]\npoint = 'a'\n\n[[extensions]]\n  point = 'b'\n"
    assert pos(text, ("extensions",)) == (1, 1)
    assert pos(text, ("extensions", 0)) == (1, 1)
    assert pos(text, ("extensions", 0, "point")) == (2, 1)
    assert pos(text, ("extensions", 1)) == (4, 1)
    assert pos(text, ("extensions", 1, "point")) == (5, 3)
    assert pos(text, ("extensions", 2)) is None
    assert pos(text, ("extensions", "point")) is None


def test_nested_arrays_of_tables_index_per_parent() -> None:
    text = "[[a]]\n[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n[[a]]\n[[a.b]]\nx = 3\n"
    assert pos(text, ("a", 0, "b")) == (2, 1)
    assert pos(text, ("a", 0, "b", 1)) == (4, 1)
    assert pos(text, ("a", 0, "b", 1, "x")) == (5, 1)
    assert pos(text, ("a", 1)) == (6, 1)
    assert pos(text, ("a", 1, "b")) == (7, 1)
    assert pos(text, ("a", 1, "b", 0)) == (7, 1)
    assert pos(text, ("a", 1, "b", 0, "x")) == (8, 1)
    assert pos(text, ("a", 1, "b", 1)) is None


def test_sub_table_of_an_array_of_tables_element() -> None:
    text = "[[extensions]]\np = 'a'\n[[extensions]]\np = 'b'\n[extensions.config]\nindent = 4\n"
    assert pos(text, ("extensions", 1, "config")) == (5, 1)
    assert pos(text, ("extensions", 1, "config", "indent")) == (6, 1)
    assert pos(text, ("extensions", 0, "config")) is None
    assert pos(text, ("extensions", "config")) is None


def test_inline_arrays_over_lines_with_comments() -> None:
    text = "tags = [  # the tags, [x]\n    \"a\",  # first = 1\n    'b' ,\n    [1, 2], # n\n]\nx = 1\n"
    assert pos(text, ("tags",)) == (1, 1)
    assert pos(text, ("tags", 0)) == (2, 5)
    assert pos(text, ("tags", 1)) == (3, 5)
    assert pos(text, ("tags", 2)) == (4, 5)
    assert pos(text, ("tags", 2, 1)) == (4, 9)
    assert pos(text, ("tags", 3)) is None
    assert pos(text, ("x",)) == (6, 1)


def test_inline_tables() -> None:
    text = 'config = { indent = 4, style = { x = 1 } }\np = { a.b = 1, "c d".e = 2 }\n'
    assert pos(text, ("config",)) == (1, 1)
    assert pos(text, ("config", "indent")) == (1, 12)
    assert pos(text, ("config", "style")) == (1, 24)
    assert pos(text, ("config", "style", "x")) == (1, 34)
    assert pos(text, ("p", "a")) == (2, 7)
    assert pos(text, ("p", "a", "b")) == (2, 9)
    assert pos(text, ("p", "c d")) == (2, 16)
    assert pos(text, ("p", "c d", "e")) == (2, 22)


def test_inline_tables_over_lines_as_toml_1_1_allows() -> None:
    text = "config = {\n  indent = 4,  # spaces\n  style = 'x',\n}\nafter = 1\n"
    assert pos(text, ("config", "indent")) == (2, 3)
    assert pos(text, ("config", "style")) == (3, 3)
    assert pos(text, ("after",)) == (5, 1)


def test_arrays_of_inline_tables() -> None:
    text = 'ext = [{point = "x"}, {point = "y"}]\n'
    assert pos(text, ("ext", 0)) == (1, 8)
    assert pos(text, ("ext", 1)) == (1, 23)
    assert pos(text, ("ext", 1, "point")) == (1, 24)


def test_quoted_keys_decode_as_tomllib_does() -> None:
    text = (
        "[dependencies]\n"
        '"acme.core" = ">=1"\n'
        "'lit\\.key' = 1\n"
        '"a\\"b" = 2\n'
        '"\\u00e9t\\U000000E9" = 3\n'
        '"tab\\there\\\\" = 4\n'
        '"" = 5\n'
    )
    keys = list(tomllib.loads(text)["dependencies"])
    assert keys == ["acme.core", "lit\\.key", 'a"b', "été", "tab\there\\", ""]
    for line, key in enumerate(keys, start=2):
        assert pos(text, ("dependencies", key)) == (line, 1)


def test_strings_comments_and_scalars_are_skipped() -> None:
    text = (
        'a = """\n'  # 1
        "[fake]\n"  # 2
        'fake = "x" # not a comment\n'  # 3
        '""""\n'  # 4: the string ends with a quote
        "b = '''\n"  # 5
        "[[fake]] = ''\n"  # 6
        "'''''\n"  # 7: ends with two quotes
        'c = "\\"[#" # comment with a "quote\n'  # 8
        "d = 'x#[' # c\n"  # 9
        'e = """"a"""""\n'  # 10
        "f = 1979-05-27 07:32:00Z\n"  # 11
        "g = [1.5e3, -inf, nan, true, 0x1F, 1979-05-27T00:32:00.9-07:00, 07:32:00, 1_000]\n"  # 12
        'h = """\\\n  x \\"""\\\\"""\n'  # 13
        "i = 1\n"  # 15
        'j = [""""x"""", "y", \'\'\'z\'\'\'\', \'w\']\n'  # 16: extra quotes, then more elements
    )
    document = tomllib.loads(text)
    assert list(document) == list("abcdefghij")
    assert document["e"] == '"a""'
    assert document["j"] == ['"x"', "y", "z'", "w"]
    lines = {"a": 1, "b": 5, "c": 8, "d": 9, "e": 10, "f": 11, "g": 12, "h": 13, "i": 15}
    for key, line in lines.items():
        assert pos(text, (key,)) == (line, 1)
    assert [pos(text, ("g", i)) for i in range(8)] == [(12, c) for c in (6, 13, 19, 24, 30, 36, 65, 75)]
    assert [pos(text, ("j", i)) for i in range(4)] == [(16, 6), (16, 17), (16, 22), (16, 32)]
    assert pos(text, ("fake",)) is None


def test_crlf_line_endings() -> None:
    text = "a = 1\r\n[t]\r\nb = [\r\n  1, # c\r\n  2,\r\n]\r\nc = '''x\r\ny'''\r\nd = 2\r\n"
    assert pos(text, ("t", "b", 1)) == (5, 3)
    assert pos(text, ("t", "d")) == (9, 1)
    assert_all_located(text)


def test_only_line_feeds_end_lines_as_in_tomllib() -> None:
    assert pos("a = [\r1, 2]\n", ("a", 1)) == (1, 10)


def test_bom_is_not_counted() -> None:
    assert pos("\ufeffa = 1\nb = 2\n", ("a",)) == (1, 1)
    assert pos("\ufeff  a = 1\nb = 2\n", ("a",)) == (1, 3)
    assert pos("\ufeff[t]\nb = 2\n", ("t", "b")) == (2, 1)


def test_tabs_count_one_column() -> None:
    text = "\ta\t=\t[\t1,\t2]\n"
    assert pos(text, ("a",)) == (1, 2)
    assert pos(text, ("a", 1)) == (1, 11)


def test_columns_are_characters_not_bytes() -> None:
    text = 'a = ["日本語", "x"]\n"日本" = { "é" = 1 }\n'
    assert pos(text, ("a", 1)) == (1, 13)
    assert pos(text, ("日本",)) == (2, 1)
    assert pos(text, ("日本", "é")) == (2, 10)


def test_a_last_line_comment_without_newline_is_a_comment() -> None:
    assert pos("a = [1, 2]", ("a", 1)) == (1, 9)
    text = "a = [1, 2] # b = [3]\n# c = 1"
    assert pos(text, ("a", 1)) == (1, 9)
    assert pos(text, ("c",)) is None
    assert pos(text, ("b",)) is None


def test_schema_comment_is_a_comment() -> None:
    text = '#:schema ./x.json\nname = "x"\n'
    assert pos(text, ("name",)) == (2, 1)
    assert pos(text, ("schema",)) is None


def test_nearest() -> None:
    text = "[[extensions]]\np = 1\n[[extensions]]\n[extensions.config]\nindent = 4\n"
    locator = Locator(text)
    assert locator.nearest(("extensions", 1, "config", "missing")) == (
        ("extensions", 1, "config"),
        Position(4, 1),
    )
    assert locator.nearest(("extensions", 7, "p")) == (("extensions",), Position(1, 1))
    assert locator.nearest(("extensions", 0, "p")) == (("extensions", 0, "p"), Position(2, 1))
    assert locator.nearest(("nope", "x")) == ((), None)
    assert locator.nearest(()) == ((), None)
    assert locator.find(()) is None


def test_empty_text() -> None:
    assert Locator("").find(("a",)) is None
    assert Locator("").nearest(("a", 0)) == ((), None)


def test_a_key_under_an_unreadable_header_is_not_given_a_wrong_place() -> None:
    text = "[bad\nx = 1\n[good]\ny = 2\n[ [a]]\nz = 1\n[[b] ]\nz = 2\n"
    assert pos(text, ("x",)) is None
    assert pos(text, ("good", "y")) == (4, 1)
    assert pos(text, ("good", "z")) is None
    assert pos(text, ("a",)) is None
    assert pos(text, ("b",)) is None


@pytest.mark.parametrize(
    "text",
    [
        "a = [",
        "a = {",
        'a = "unterminated\nb = 1',
        "a = '''never closed\n[t]\n",
        'a = """x""',
        "[[a]\n[a]]\n[[a] ]\n[]\n[[]]\n[a.]\n",
        "a = " + "[" * 50_000,
        "a = " + "{b=" * 50_000,
        "= 1\n.a = 2\na. = 3\n== \n,,\n]]\n}\n",
        'a = "\\U11111111" \n "\\U11111111" = 1\n"\\uzz" = 2',
        "\r\r\n\r",
    ],
)
def test_never_raises_on_bad_text(text: str) -> None:
    locator = Locator(text)
    for path in [("a",), ("a", 0), ("b",), ("t",), ("\U0010ffff",), ()]:
        found = locator.find(path)
        prefix, position = locator.nearest(path)
        if found is not None:
            _offset(text, found)  # on a character of the text
            assert (prefix, position) == (path, found)
        else:
            assert len(prefix) < len(path) or path == ()


def test_values_after_bad_lines_are_still_found() -> None:
    text = 'a = "unterminated\nb = 1\n'
    assert pos(text, ("b",)) == (2, 1)


def test_deep_but_reasonable_nesting_is_indexed() -> None:
    text = "a = " + "[" * 50 + "1" + "]" * 50 + "\nb = 2\n"
    assert pos(text, ("a", *[0] * 50)) == (1, 55)
    assert pos(text, ("b",)) == (2, 1)


MANIFEST = """\
#:schema ../schemas/manifest.schema.json
[plugin]
name = "acme-formatter"
version = "1.4.0"
description = "Formats things, nicely"  # short
authors = ["Ada <ada@example.org>", "Lin"]
tags = [
    "format",
    "style",  # the main one
]

[dependencies]
"acme.core" = ">=1.2"
lint = { version = "^2", optional = true }

[[extensions]]
point = "formatter"
object = "acme_formatter:Formatter"
config = { indent = 4, style = "pep8" }

[[extensions]]
point = "cli.command"
object = "acme_formatter.cli:main"
[extensions.config]
name = "fmt"
"""


def test_a_typical_manifest() -> None:
    assert MANIFEST.count("\n") == 25
    assert pos(MANIFEST, ("plugin", "tags", 1)) == (9, 5)
    assert pos(MANIFEST, ("dependencies", "lint", "optional")) == (14, 26)
    assert pos(MANIFEST, ("extensions", 0, "config", "style")) == (19, 24)
    assert pos(MANIFEST, ("extensions", 1, "config", "name")) == (25, 1)
    assert_all_located(MANIFEST)


HAND_WRITTEN = {
    "dotted keys": """
a.b.c = 1
a.b."d.e" = 2
a . 'f' = 3
[t]
x.y = [1, 2]
x.z = { w = 1 }
[[arr]]
p.q = "r"
[[arr]]
p.q = "s"
p.r = 1
""",
    "inline tables": """
config = { indent = 4, style = { x = 1, y = [1, { z = 2 }] }, "q k".m = 'v' }
ext = [{point = "x"}, {point = "y", config = {}}, {}]
empty = {}
""",
    "arrays over lines": """
tags = [ # comment [ "not", "an", "element" ]
    "a", # first
    'b',
    [ 1, 2, [ 3 ], ], # nested

    { k = 1 },
    \"\"\"multi
line, with ] and # in it\"\"\",
    '''lit
eral'''   ,  # spaces before the comma
]
empty = [
]
mixed = [1, "two", 3.0, true, 1979-05-27, 07:32:00, 1979-05-27 07:32:00, [4]]
""",
    "crlf": "[t]\r\na = 1\r\nb = [\r\n  'x', # c\r\n  \"y\",\r\n]\r\n[[u]]\r\nv.w = 1\r\n",
    "strings and keys": r"""
"a\"b" = 1
'c"d' = 2
"\u00e9\t" = """
    + '"""\n[x]\n# y\n"""\n'
    + r"""
"" = 'x # y'
[ "q.r" . s ]
"t.u" = '''[z]
''
'''
v = """
    """""
w = ''''' '''''
""",
    "tables in any order": """
[x.y.z]
a = 1
[x]
b = 2
[x.y]
c = 3
[[p.q]]
d = 4
[p.q.r]
e = 5
[[p.q]]
[[p.q.s]]
f = 6
[[p.q.s]]
f = 7
""",
    "scalars": """
ints = [+99, -17, 0, 1_000, 0xDEAD_BEEF, 0o755, 0b1101]
floats = [+1.0, 3.1415, -0.01, 5e+22, 1e06, -2E-2, 6.626e-34, inf, +inf, -nan, 224_617.445_991]
bools = [true, false]
times = [1979-05-27T07:32:00Z, 1979-05-27T00:32:00-07:00, 1979-05-27T00:32:00.999999]
more_times = [1979-05-27t07:32:00, 00:32:00.5, 1979-05-27 07:32:00+01:00]
after = 1
""",
    "bom tabs unicode": '\ufeff\t[ "日本" ]\n\t"é"\t=\t[\t"ü",\t{\t"ß" = 1 } ]\n',
}


@pytest.mark.parametrize("text", HAND_WRITTEN.values(), ids=HAND_WRITTEN.keys())
def test_hand_written_toml_every_path_is_found(text: str) -> None:
    assert_all_located(text)


# -- format_path ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("extensions", 0, "config", "indent"), "extensions[0].config.indent"),
        (("dependencies", "acme.core"), 'dependencies."acme.core"'),
        ((), ""),
        (("plugin",), "plugin"),
        (("a-b_C9",), "a-b_C9"),
        (("a", 0, 1), "a[0][1]"),
        ((0, "a"), "[0].a"),
        (("",), '""'),
        (("a b",), '"a b"'),
        (('a"b\\',), '"a\\"b\\\\"'),
        (("tab\there\n",), '"tab\\there\\n"'),
        (("é",), '"é"'),
        (("\x00\x7f",), '"\\u0000\\u007f"'),
    ],
)
def test_format_path(path: KeyPath, expected: str) -> None:
    assert format_path(path) == expected


_ANY_KEY = st.text(st.characters(exclude_categories=["Cs"]), max_size=5)


@given(st.lists(_ANY_KEY, min_size=1, max_size=4))
def test_format_path_of_keys_is_a_toml_dotted_key(keys: list[str]) -> None:
    node: Any = tomllib.loads(f"{format_path(tuple(keys))} = 1")
    for key in keys:
        assert list(node) == [key]
        node = node[key]
    assert node == 1


# -- property tests -------------------------------------------------------------------------------

_KEY_CHARS = st.sampled_from(list("abz09_-. \"'\\#[]{}=é日\t\n\x00\x7f"))
_KEYS = st.one_of(
    st.sampled_from(["a", "b", "name", "0", "true", "1.5", "", "a.b"]),
    st.text(_KEY_CHARS, max_size=6),
    _ANY_KEY,
)
_FRAGMENTS = ["a", " ", "#", "[", "]", "[[", "=", '"', "'", "'''", '"""', "\\", "\n", "\r\n", "\t"]
_STRINGS = st.one_of(
    st.lists(st.sampled_from([*_FRAGMENTS, "é", "{", ",", "x = 1", "\r"]), max_size=8).map("".join),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=5),
    st.just("long " * 21),  # too long for an inline table: tomli_w writes [[...]] instead
)
_ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30))])
_SCALARS = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    _STRINGS,
    st.dates(),
    st.times(),
    st.datetimes(timezones=_ZONES),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    tables = st.dictionaries(_KEYS, children, max_size=3)
    return st.one_of(st.lists(children, max_size=3), tables, st.lists(tables, min_size=1, max_size=3))


_DOCUMENTS = st.dictionaries(_KEYS, st.recursive(_SCALARS, _containers, max_leaves=12), max_size=4)


@settings(deadline=None)
@given(_DOCUMENTS, st.booleans(), st.booleans(), st.booleans())
def test_every_path_of_tomli_w_output_is_found(
    document: dict[str, Any], multiline: bool, crlf: bool, bom: bool
) -> None:
    text = tomli_w.dumps(document, multiline_strings=multiline)
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text
    assert len(list(_walk(tomllib.loads(text.removeprefix("\ufeff"))))) == len(list(_walk(document)))
    assert_all_located(text)


_TOML_ISH = st.lists(st.sampled_from([*"[]{}=.,\"'#\n\r\t ab1\\u-", '"""', "'''", "\r\n", "[[", "]]", "a = "])).map(
    "".join
)
_PATHS = st.lists(st.one_of(st.sampled_from(["a", "b", "1", ""]), st.integers(-1, 3), _ANY_KEY), max_size=4)


@given(st.one_of(st.text(), _TOML_ISH, _TOML_ISH.map(lambda s: s.replace("[", "[["))), _PATHS)
def test_never_raises_on_any_text(text: str, path: list[str | int]) -> None:
    locator = Locator(text)
    key_path = tuple(path)
    found = locator.find(key_path)
    if found is not None:
        _offset(text, found)  # on a character of the text
    prefix, position = locator.nearest(key_path)
    assert key_path[: len(prefix)] == prefix
    assert position == (locator.find(prefix) if prefix else None)
    assert (found is not None) == (prefix == key_path != ())
