"""The screen of a pattern for runaway backtracking: its tree, and the repetition ``re`` may try in too many ways.

``manifold.manifest._regex`` reads an ECMA-262 pattern into this tree and refuses the pattern when
``screen`` says why it may take exponential or high polynomial time to match.
"""

from __future__ import annotations

from typing import Union

from manifold._values import value_type

__all__ = ["ANY", "NONE", "Alt", "Chars", "Look", "Node", "Repeat", "Seq", "Set", "screen"]


# Sets of characters, approximated as ranges (or everything but ranges), only to tell whether two overlap.
@value_type
class Chars:
    ranges: tuple[tuple[int, int], ...]
    negated: bool = False

    def overlaps(self, other: Chars) -> bool:
        if self.negated and other.negated:
            return True
        if self.negated or other.negated:
            excluded, given = (self, other) if self.negated else (other, self)
            return any(not _covered(lo, hi, excluded.ranges) for lo, hi in given.ranges)
        return any(a <= d and c <= b for a, b in self.ranges for c, d in other.ranges)

    def __or__(self, other: Chars) -> Chars:
        if self.negated or other.negated:
            return ANY
        return Chars(self.ranges + other.ranges)


def _covered(lo: int, hi: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    point = lo
    for a, b in sorted(ranges):
        if a <= point <= b:
            point = b + 1
        if point > hi:
            return True
    return False


NONE = Chars(())
ANY = Chars((), negated=True)


# The tree the screen reads: characters, sequences, alternatives, repetitions, and zero-width steps.
@value_type
class Set:
    chars: Chars


@value_type
class Seq:
    items: tuple[Node, ...]


@value_type
class Alt:
    branches: tuple[Node, ...]


@value_type
class Repeat:
    body: Node
    least: int
    most: int | None


@value_type
class Look:
    body: Node | None  # an assertion (None) or a lookaround


Node = Union[Set, Seq, Alt, Repeat, Look]  # noqa: UP007 (a forward reference)


# The screen: repetition a backtracking engine may try in exponentially (or cubically) many ways.
def _nullable(node: Node) -> bool:
    if isinstance(node, Set):
        return False
    if isinstance(node, Seq):
        return all(_nullable(item) for item in node.items)
    if isinstance(node, Alt):
        return any(_nullable(branch) for branch in node.branches)
    if isinstance(node, Repeat):
        return node.least == 0 or _nullable(node.body)
    return True


def _first(node: Node) -> Chars:
    """The characters a match of ``node`` may start with."""
    if isinstance(node, Set):
        return node.chars
    if isinstance(node, Seq):
        chars = NONE
        for item in node.items:
            chars = chars | _first(item)
            if not _nullable(item):
                break
        return chars
    if isinstance(node, Alt):
        chars = NONE
        for branch in node.branches:
            chars = chars | _first(branch)
        return chars
    if isinstance(node, Repeat):
        return _first(node.body)
    return NONE


def _all(node: Node) -> Chars:
    """Every character ``node`` may consume."""
    if isinstance(node, Set):
        return node.chars
    if isinstance(node, Seq | Alt):
        chars = NONE
        for child in node.items if isinstance(node, Seq) else node.branches:
            chars = chars | _all(child)
        return chars
    if isinstance(node, Repeat):
        return _all(node.body)
    return NONE


def _repeats(node: Node) -> bool:
    """Whether ``node`` contains repetition that may consume a string of any length."""
    if isinstance(node, Repeat):
        return ((node.most is None or node.most > 1) and not isinstance(node.body, Look)) or _repeats(node.body)
    if isinstance(node, Seq):
        return any(_repeats(item) for item in node.items)
    if isinstance(node, Alt):
        return any(_repeats(branch) for branch in node.branches)
    return False


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Seq):
        return node.items
    if isinstance(node, Alt):
        return node.branches
    if isinstance(node, Repeat):
        return (node.body,)
    if isinstance(node, Look) and node.body is not None:
        return (node.body,)
    return ()


def _ambiguous(node: Node) -> bool:
    """Whether ``node`` may match one string in more than one way (approximately, erring towards yes)."""
    if isinstance(node, Alt):
        firsts = [_first(branch) for branch in node.branches]
        if any(a.overlaps(b) for i, a in enumerate(firsts) for b in firsts[i + 1 :]):
            return True
    if isinstance(node, Seq) and _chain(node.items, repeated_only=False) > 1:
        return True
    return any(_ambiguous(child) for child in _children(node))


def _chain(items: tuple[Node, ...], *, repeated_only: bool) -> int:
    """The longest run of repetitions, each free to give characters to the next step (only optional steps between).

    With ``repeated_only``, the next steps counted are repetitions too; without it, any step.
    """
    longest = [1 if _repeats(item) else 0 for item in items]
    for j, item in enumerate(items):
        if repeated_only and not longest[j]:
            continue
        for i in range(j - 1, -1, -1):
            if longest[i] and _all(items[i]).overlaps(_first(item)):
                longest[j] = max(longest[j], longest[i] + 1)
            if not _nullable(items[i]):
                break
    return max(longest, default=0)


def _tail(items: tuple[Node, ...]) -> Chars:
    """The characters repetition at the end of a sequence (followed only by optional steps) may consume."""
    chars = NONE
    for item in reversed(items):
        if _repeats(item):
            chars = chars | _all(item)
        if not _nullable(item):
            break
    return chars


def screen(tree: Node, *, anchored: bool) -> str | None:
    """Why matching ``tree`` may take exponential or polynomial time, or None when it may not."""
    stack = [tree]
    while stack:
        node = stack.pop()
        stack.extend(_children(node))
        if not isinstance(node, Repeat) or (node.most is not None and node.most <= 1):
            continue
        body = node.body
        items = body.items if isinstance(body, Seq) else (body,)
        if (
            (_nullable(body) and _all(body) != NONE)
            or _ambiguous(body)
            or (_tail(items).overlaps(_first(body)) and _repeats(body))
        ):
            return "may take exponential time to match (nested or ambiguous repetition)"
    # Polynomial: a chain of three repetitions each free to take the next one's characters; a
    # search that is not anchored at the start adds one (it is retried at every position).
    top = tree.items if isinstance(tree, Seq) else (tree,)
    if not anchored:
        top = (Repeat(Set(ANY), 0, None), *top)
    if _chain(top, repeated_only=True) > 2:
        return "may take polynomial time to match (adjacent repetitions that overlap)"
    return None
