"""The regular expressions of embedded schemas: ECMA-262 syntax read, screened for runaway backtracking, compiled.

JSON Schema patterns are ECMA-262 regular expressions; Python's ``re`` reads most of them, with
other meanings in a few places. ``compile_pattern`` translates what differs (``\\d`` and ``\\w`` are
ASCII, ``\\s`` is ECMA-262's white space, ``.`` stops at every line terminator, ``$`` is the very
end, ``[^]``, ``[]``, ``\\cX``, ``(?<name>``, ``\\k<name>``), refuses what ``re`` cannot do
(``\\p{...}``), and refuses a pattern whose matching may take exponential or high polynomial time
(nested or ambiguous repetition such as ``(a+)+``, ``(a|a)*``, ``(.*)*``, ``a*a*a*``), because
``re`` backtracks and cannot be stopped once a match has started (``manifold.manifest._regex_screen``).
Its answer is cached.
"""

from __future__ import annotations

import functools
import re

from manifold.manifest._regex_screen import ANY, NONE, Alt, Chars, Look, Node, Repeat, Seq, Set, screen

__all__ = ["MAX_MATCHED_LENGTH", "PatternError", "compile_pattern", "search"]

# A string longer than this is not matched against a pattern from a manifest (the screen,
# ``manifold.manifest._regex_screen``, lets through patterns that take up to quadratic time).
MAX_MATCHED_LENGTH = 10_000
# A pattern longer than this is not read at all.
MAX_PATTERN_LENGTH = 1_000
# Repetition counts above this ({n,m}) are refused: a large count multiplies the work.
MAX_REPEAT_COUNT = 1_000


class PatternError(ValueError):
    """A pattern that cannot be compiled, or cannot be matched in bounded time; the words say why."""


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The ``re`` pattern meaning what the ECMA-262 ``pattern`` means; raises PatternError."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"is {len(pattern)} characters long; at most {MAX_PATTERN_LENGTH} allowed")
    parser = _Parser(pattern)
    tree = parser.parse()
    hazard = screen(tree, anchored=pattern.startswith("^"))
    if hazard is not None:
        raise PatternError(hazard)
    try:
        return re.compile(parser.python(), re.ASCII)
    except (re.error, OverflowError, RecursionError) as e:
        raise PatternError(f"is not a regular expression: {e}") from None


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text``; raises PatternError (also for a text too long)."""
    compiled = compile_pattern(pattern)
    if len(text) > MAX_MATCHED_LENGTH:
        raise PatternError(
            f"is not matched against a string of {len(text)} characters; at most {MAX_MATCHED_LENGTH} allowed"
        )
    return compiled.search(text) is not None


# ECMA-262's character classes, as ranges of code points.
_DIGITS = ((0x30, 0x39),)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
_LINE_ENDS = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
_CLASSES = {"d": _DIGITS, "w": _WORD, "s": _SPACE}


def _python_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(_literal(chr(a)) + ("" if a == b else "-" + _literal(chr(b))) for a, b in ranges)


def _literal(char: str) -> str:
    return re.escape(char) if char.isascii() and char.isprintable() else f"\\U{ord(char):08x}"


_ESCAPED_CLASSES = {
    "d": "0-9",
    "w": "0-9A-Za-z_",
    "s": _python_ranges(_SPACE),
}
_CONTROL = {"t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r", "0": "\0"}


class _Parser:
    """Reads an ECMA-262 pattern (without the ``u`` flag) into a tree, writing its Python spelling alongside."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0
        self.out: list[str] = []
        self.groups = 0

    def python(self) -> str:
        return "".join(self.out)

    def fail(self, words: str) -> PatternError:
        return PatternError(f"is not a regular expression: {words} at position {self.at}")

    def parse(self) -> Node:
        node = self.alternatives(depth=0)
        if self.at < len(self.text):
            raise self.fail("unbalanced parenthesis")
        return node

    def peek(self, ahead: int = 0) -> str:
        i = self.at + ahead
        return self.text[i] if i < len(self.text) else ""

    def alternatives(self, depth: int) -> Node:
        if depth > 50:
            raise PatternError("nests groups more than 50 deep")
        branches = [self.sequence(depth)]
        while self.peek() == "|":
            self.at += 1
            self.out.append("|")
            branches.append(self.sequence(depth))
        return branches[0] if len(branches) == 1 else Alt(tuple(branches))

    def sequence(self, depth: int) -> Node:
        items: list[Node] = []
        while self.peek() and self.peek() not in "|)":
            start = len(self.out)
            atom = self.atom(depth)
            items.append(self.quantified(atom, start))
        return Seq(tuple(items))

    def quantified(self, atom: Node, start: int) -> Node:
        char = self.peek()
        if char in ("*", "+", "?"):
            least, most = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
            self.at += 1
            self.out.append(char)
        elif char == "{" and (found := re.match(r"\{(\d+)(,(\d*))?\}", self.text[self.at :])):
            least = int(found[1])
            most = least if found[2] is None else (int(found[3]) if found[3] else None)
            if least > MAX_REPEAT_COUNT or (most or 0) > MAX_REPEAT_COUNT:
                raise PatternError(f"repeats more than {MAX_REPEAT_COUNT} times")
            if most is not None and most < least:
                raise self.fail("numbers out of order in {} quantifier")
            self.at += len(found[0])
            self.out.append(found[0])
        else:
            return atom
        if isinstance(atom, Look) and atom.body is None:
            raise self.fail("nothing to repeat")
        if self.peek() == "?":  # lazy: the same language
            self.at += 1
            self.out.append("?")
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and re.match(r"\{\d", self.text[self.at :])):
            raise self.fail("multiple repeat")
        return Repeat(atom, least, most)

    def atom(self, depth: int) -> Node:
        char = self.peek()
        self.at += 1
        if char == "(":
            return self.group(depth)
        if char == "[":
            return self.char_class()
        if char == "\\":
            return self.escape()
        if char == ".":
            self.out.append("[^" + _python_ranges(_LINE_ENDS) + "]")
            return Set(Chars(_LINE_ENDS, negated=True))
        if char == "^":
            self.out.append("^")
            return Look(None)
        if char == "$":
            self.out.append(r"\Z")
            return Look(None)
        if char in "*+?":
            raise self.fail("nothing to repeat")
        self.out.append(_literal(char))
        return Set(Chars(((ord(char), ord(char)),)))

    def group(self, depth: int) -> Node:
        rest = self.text[self.at :]
        look = False
        if rest.startswith(("?:",)):
            self.at += 2
            self.out.append("(?:")
        elif rest.startswith(("?=", "?!", "?<=", "?<!")):
            prefix = rest[: 3 if rest.startswith("?<") else 2]
            self.at += len(prefix)
            self.out.append("(" + prefix)
            look = True
        elif found := re.match(r"\?<([A-Za-z_$][A-Za-z0-9_$]*)>", rest):
            self.at += len(found[0])
            self.out.append(f"(?P<{found[1]}>")
            self.groups += 1
        elif rest.startswith("?"):
            raise self.fail("unknown group syntax")
        else:
            self.out.append("(")
            self.groups += 1
        body = self.alternatives(depth + 1)
        if self.peek() != ")":
            raise self.fail("missing ), unterminated subpattern")
        self.at += 1
        self.out.append(")")
        return Look(body) if look else body

    def escape(self) -> Node:
        char = self.peek()
        if not char:
            raise self.fail("bad escape (end of pattern)")
        self.at += 1
        if char.lower() in _CLASSES:
            ranges = _CLASSES[char.lower()]
            self.out.append(("[^" if char.isupper() else "[") + _ESCAPED_CLASSES[char.lower()] + "]")
            return Set(Chars(ranges, negated=char.isupper()))
        if char in "bB":
            self.out.append("\\" + char)
            return Look(None)
        if char in "123456789":
            digits = re.match(r"\d+", self.text[self.at - 1 :])
            assert digits is not None
            self.at += len(digits[0]) - 1
            self.out.append(f"(?:\\{digits[0]})")
            return Repeat(Set(ANY), 0, None)  # a backreference: any length, any characters
        if char == "k" and (found := re.match(r"<([A-Za-z_$][A-Za-z0-9_$]*)>", self.text[self.at :])):
            self.at += len(found[0])
            self.out.append(f"(?P={found[1]})")
            return Repeat(Set(ANY), 0, None)
        value = self.escaped_char(char)
        self.out.append(_literal(value))
        return Set(Chars(((ord(value), ord(value)),)))

    def escaped_char(self, char: str) -> str:
        """The one character an escape (after the backslash) stands for."""
        if char in _CONTROL and not (char == "0" and self.peek().isdigit()):
            return _CONTROL[char]
        if char == "c" and self.peek().isascii() and self.peek().isalpha():
            self.at += 1
            return chr(ord(self.text[self.at - 1]) % 32)
        if char == "x" and (found := re.match(r"[0-9A-Fa-f]{2}", self.text[self.at :])):
            self.at += 2
            return chr(int(found[0], 16))
        if char == "u" and (found := re.match(r"[0-9A-Fa-f]{4}", self.text[self.at :])):
            self.at += 4
            return chr(int(found[0], 16))
        if char in "pP" and self.peek() == "{":
            raise PatternError(
                f"uses \\{char}{{...}} (Unicode property classes), which manifold's regular expressions do not support"
            )
        if char.isascii() and char.isalnum():
            raise self.fail(f"bad escape \\{char}")
        return char  # an identity escape: \. \/ \- ...

    def char_class(self) -> Node:
        negated = self.peek() == "^"
        if negated:
            self.at += 1
        if self.peek() == "]":  # [] matches nothing, [^] anything
            self.at += 1
            self.out.append("[\\s\\S]" if negated else "(?!)")
            return Set(ANY if negated else NONE)
        parts: list[str] = []
        chars = NONE
        while self.peek() != "]":
            if not self.peek():
                raise self.fail("unterminated character set")
            low, text, member = self.class_member()
            if low is not None and self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.at += 1
                high, high_text, _ = self.class_member()
                if high is None:
                    raise self.fail("bad character range")
                if high < low:
                    raise self.fail("bad character range")
                parts.append(f"{text}-{high_text}")
                chars = chars | Chars(((low, high),))
                continue
            parts.append(text)
            chars = chars | member
        self.at += 1
        self.out.append(("[^" if negated else "[") + "".join(parts) + "]")
        if negated:
            chars = ANY if chars.negated else Chars(chars.ranges, negated=True)
        return Set(chars)

    def class_member(self) -> tuple[int | None, str, Chars]:
        """One member of a class: (its code point if a single character, its Python text, its characters)."""
        char = self.peek()
        self.at += 1
        if char != "\\":
            return ord(char), _literal(char), Chars(((ord(char), ord(char)),))
        char = self.peek()
        if not char:
            raise self.fail("bad escape (end of pattern)")
        self.at += 1
        if char.lower() in _CLASSES:
            if char.isupper():  # a negated class inside a class: re's ASCII meaning
                return None, "\\" + char, ANY
            return None, _ESCAPED_CLASSES[char], Chars(_CLASSES[char])
        value = "\b" if char == "b" else ("-" if char == "-" else self.escaped_char(char))
        return ord(value), _literal(value), Chars(((ord(value), ord(value)),))
