"""The limits on one manifest file (its size, how deep its arrays and tables nest, how many problems it reports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Any

from manifold._values import value_type

__all__ = ["DEFAULT_MANIFEST_LIMITS", "ManifestLimits", "may_nest_deeper", "read_bounded", "too_deep"]

_MiB = 1 << 20


@value_type
class ManifestLimits:
    """How big a manifest (``plugin.toml``, ``bundle.toml``, ``manifold.toml``) may be; beyond a limit the
    file is refused with a ``limit`` diagnostic, and its neighbours are read as usual.

    ``max_size`` is in bytes: at most that many plus one are ever read. ``max_depth`` counts the
    arrays and tables around the deepest value (``a = [[1]]`` is 3 deep: the document, ``a``, and
    the inner array). ``max_diagnostics`` is how many problems of one file are reported; one more
    line says how many were left out.
    """

    max_size: int = _MiB
    max_depth: int = 64
    max_diagnostics: int = 100

    def __post_init__(self) -> None:
        for name in ("max_size", "max_depth", "max_diagnostics"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"ManifestLimits.{name} must be a positive integer, not {value!r}")


DEFAULT_MANIFEST_LIMITS = ManifestLimits()


_FIRST_READ = 1 << 16


def read_bounded(stream: IO[bytes], max_size: int) -> bytes:
    """The bytes of ``stream``, but no more than ``max_size + 1`` of them (one more tells a file beyond
    the limit). A manifest is small: asked for ``max_size + 1`` bytes at once, a buffered reader would
    set that much memory aside for each file, so a first small read comes first."""
    limit = max_size + 1
    raw = stream.read(min(limit, _FIRST_READ))
    while len(raw) < limit:
        more = stream.read(min(limit - len(raw), 1 << 20))
        if not more:
            break
        raw += more
    return raw


def may_nest_deeper(text: str, max_depth: int) -> bool:
    """Whether the data of the TOML document ``text`` can nest deeper than ``max_depth`` levels.

    Below the document, every array or table on the way to a value is opened by a character of its
    own: a header's ``[`` (``[[`` opens the array and its table), an inline ``[`` or ``{``, or the
    ``.`` of a dotted key or header. So the data is at most one level deeper than the count of
    these characters in the text (those inside strings and comments only raise the count), and a
    text with fewer than ``max_depth`` of them needs no walk of its data (``too_deep``).
    """
    return text.count("[") + text.count("{") + text.count(".") >= max_depth


def too_deep(data: Any, max_depth: int) -> tuple[int, tuple[str | int, ...]] | None:
    """``(depth, key path)`` of the first value nested deeper than ``max_depth`` levels in ``data``
    (the path stops at the first level beyond the limit), or None; iterative, so never a RecursionError."""
    if not _deeper(data, max_depth):  # the usual answer, without building a key path per value
        return None
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) + 1 > max_depth:
            return len(path) + 1, path
        items: Sequence[tuple[str | int, Any]]
        if isinstance(value, Mapping):
            items = list(value.items())
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        else:
            continue
        stack.extend(
            (child, (*path, key)) for key, child in reversed(items) if isinstance(child, Mapping | list | tuple)
        )
    return None


def _deeper(data: Any, max_depth: int) -> bool:
    """Whether a table or an array in ``data`` is nested deeper than ``max_depth`` levels."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    push = stack.append
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            return True
        kind = type(value)  # TOML gives dicts and lists: the exact types first, the abstract ones after
        children = value.values() if kind is dict or (kind is not list and isinstance(value, Mapping)) else value
        for child in children:
            if type(child) in _CONTAINERS or isinstance(child, Mapping | list | tuple):
                push((child, depth + 1))
    return False


_CONTAINERS = (dict, list)
