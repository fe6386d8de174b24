"""Locate: map a TOML key path to the 1-based line and column where it is written in the text."""

from __future__ import annotations

import json
import re
from bisect import bisect_right

from manifold._values import value_type

__all__ = ["KeyPath", "Locator", "Position", "format_path", "nesting_position"]

KeyPath = tuple[str | int, ...]


@value_type
class Position:
    """A place in the text: 1-based line, and 1-based column counted in characters."""

    line: int
    column: int


# One token per match, whitespace and comments before it skipped; the text ends with an "eof" token.
# A multi-line string may hold up to two quotes before its closing delimiter, hence ``{3,5}``.
_TOKEN = re.compile(
    r"""
    (?:[ \t]++|\#[^\r\n]*+)*+  # whitespace and comments, skipped
    (?: (?P<bare>[A-Za-z0-9_-]+)
      | (?P<punct>[\[\]{},=.])
      | (?P<nl>\r?\n)
      | (?P<str>"{3}(?:[^"\\]++|\\.|"(?!""))*+"{3,5}
               | '{3}(?:[^']++|'(?!''))*+'{3,5}
               | "(?:[^"\\\r\n]++|\\[^\r\n])*+"
               | '[^'\r\n]*+')
      | (?P<other>.)
      | (?P<eof>\Z) )  # so a last comment is skipped whole; the scanner stops on it
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    '"': '"',
    "\\": "\\",
}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_MAX_DEPTH = 100  # deeper inline arrays/tables are not indexed (and never overflow the stack)

_Token = tuple[str, str, int]  # (kind, text, offset); kind is the character itself for punctuation


def format_path(path: KeyPath) -> str:
    """``("extensions", 0, "config")`` -> ``extensions[0].config``; odd keys quoted JSON-style."""
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            key = part if _BARE_KEY.fullmatch(part) else _quote(part)
            parts.append(f".{key}" if parts else key)
    return "".join(parts)


class Locator:
    """Scans TOML text once; then answers where each key path is written. Never raises."""

    def __init__(self, text: str) -> None:
        if text.startswith("\ufeff"):
            text = text[1:]
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._tokens = _tokenize(text)
        self._i = 0
        self._index: dict[KeyPath, int] = {}  # path -> offset of its first mention
        self._aot_sizes: dict[KeyPath, int] = {}  # array-of-tables path -> elements so far
        self._scan()

    def find(self, path: KeyPath) -> Position | None:
        """Where ``path`` is written: its key, its ``[``/``[[`` header or its array element."""
        offset = self._index.get(path)
        if offset is None:
            return None
        line = bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)

    def nearest(self, path: KeyPath) -> tuple[KeyPath, Position | None]:
        """The longest prefix of ``path`` that is written in the text (maybe ``()``) and where."""
        for end in range(len(path), 0, -1):
            position = self.find(path[:end])
            if position is not None:
                return path[:end], position
        return (), None

    # -- the scanner: a forgiving recursive descent over the tokens ------------------------------

    def _scan(self) -> None:
        table: KeyPath | None = ()  # None after a header that could not be read
        while (kind := self._tokens[self._i][0]) != "eof":
            if kind == "[":
                table = self._header()
            elif kind in ("bare", "str") and table is not None:
                self._keyval(table, 0)
            while (kind := self._tokens[self._i][0]) != "nl":  # skip what was not understood
                if kind == "eof":
                    return
                self._i += 1
            self._i += 1

    def _header(self) -> KeyPath | None:
        tokens, start = self._tokens, self._tokens[self._i][2]
        self._i += 1
        aot = tokens[self._i][0] == "[" and tokens[self._i][2] == start + 1  # "[[" without a gap
        self._i += aot
        keys = self._key()
        if keys is None or tokens[self._i][0] != "]":
            return None
        self._i += 1
        if aot:
            if tokens[self._i][0] != "]" or tokens[self._i][2] != tokens[self._i - 1][2] + 1:
                return None
            self._i += 1
        path: KeyPath = ()
        for name, offset in keys[:-1]:
            path = self._mention((*path, name), offset)
            if path in self._aot_sizes:  # [a.b] after [[a]] is in the last element of a
                path = (*path, self._aot_sizes[path] - 1)
        path = self._mention((*path, keys[-1][0]), start)
        if aot:
            size = self._aot_sizes.get(path, 0)
            self._aot_sizes[path] = size + 1
            path = self._mention((*path, size), start)
        return path

    def _key(self) -> list[tuple[str, int]] | None:
        """A dotted key as (name, offset) segments, or None if there is none here."""
        keys: list[tuple[str, int]] = []
        while True:
            kind, text, offset = self._tokens[self._i]
            if kind == "bare":
                keys.append((text, offset))
            elif kind == "str" and text[:3] not in ('"""', "'''"):
                keys.append((_decode(text), offset))
            else:
                return None
            self._i += 1
            if self._tokens[self._i][0] != ".":
                return keys
            self._i += 1

    def _keyval(self, table: KeyPath, depth: int) -> bool:
        keys = self._key()
        if keys is None or self._tokens[self._i][0] != "=":
            return False
        self._i += 1
        path = table
        for name, offset in keys:
            path = self._mention((*path, name), offset)
        return self._value(path, depth)

    def _value(self, path: KeyPath, depth: int) -> bool:
        """Index one value (recursing into inline arrays and tables); False if it is malformed."""
        kind = self._tokens[self._i][0]
        if kind in ("[", "{"):
            if depth >= _MAX_DEPTH:
                return False
            self._i += 1
            return self._array(path, depth + 1) if kind == "[" else self._table(path, depth + 1)
        while kind not in ("nl", "eof", ",", "]", "}"):  # a scalar: string, number, date, boolean
            self._i += 1
            kind = self._tokens[self._i][0]
        return True

    def _array(self, path: KeyPath, depth: int) -> bool:
        index = 0
        while True:
            kind, _, offset = self._skip_newlines()
            if kind == "]":
                self._i += 1
                return True
            if kind in (",", "}", "eof"):
                return False
            self._mention((*path, index), offset)
            if not self._value((*path, index), depth):
                return False
            after = self._after_element("]")
            if after != ",":
                return after == "]"
            index += 1

    def _table(self, path: KeyPath, depth: int) -> bool:
        while True:
            if self._skip_newlines()[0] == "}":  # TOML 1.1 allows newlines and a trailing comma
                self._i += 1
                return True
            if not self._keyval(path, depth):
                return False
            after = self._after_element("}")
            if after != ",":
                return after == "}"

    def _after_element(self, closer: str) -> str | None:
        """Step over the "," or the closing bracket after an element: which one, or None."""
        kind = self._skip_newlines()[0]
        if kind != "," and kind != closer:
            return None
        self._i += 1
        return kind

    def _skip_newlines(self) -> _Token:
        while self._tokens[self._i][0] == "nl":
            self._i += 1
        return self._tokens[self._i]

    def _mention(self, path: KeyPath, offset: int) -> KeyPath:
        self._index.setdefault(path, offset)
        return path


def nesting_position(text: str, max_depth: int) -> Position | None:
    """Where the brackets of inline arrays and tables first nest deeper than ``max_depth`` levels (the
    document being the first), found without parsing: for a text too deep for the parser."""
    if text.startswith("\ufeff"):
        text = text[1:]
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    depth = 1
    for kind, _, offset in _tokenize(text):
        if kind in ("[", "{"):
            depth += 1
            if depth > max_depth:
                line = bisect_right(line_starts, offset)
                return Position(line, offset - line_starts[line - 1] + 1)
        elif kind in ("]", "}"):
            depth = max(1, depth - 1)
    return None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        word = match.group(kind)
        tokens.append((word if kind == "punct" else kind, word, match.start(kind)))
    return tokens


def _quote(key: str) -> str:
    """A basic-string key, JSON-escaped (plus DEL, which TOML also wants escaped)."""
    return json.dumps(key, ensure_ascii=False).replace("\x7f", "\\u007f")


def _decode(token: str) -> str:
    """The key a one-line string token spells, decoded as tomllib would."""
    if token[0] == "'":
        return token[1:-1]
    return _ESCAPE.sub(_unescape, token[1:-1])


def _unescape(match: re.Match[str]) -> str:
    hex_digits = match.group(1) or match.group(2) or match.group(3)
    if hex_digits is None:
        return _SIMPLE_ESCAPES.get(match.group(4), match.group())
    code = int(hex_digits, 16)
    return chr(code) if code <= 0x10FFFF else match.group()
