"""The shortcuts of the limits on one file: the depth pre-screen never spares a walk that would refuse the
file, and a bounded read reads the whole of a small file and no more than the limit allows of a large one."""

from __future__ import annotations

import io
from typing import Any

import pytest
import tomli
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.manifest.test_properties import keys, scalars

from manifold import ManifestError, ManifestLimits, load_manifest
from manifold.manifest.limits import may_nest_deeper, read_bounded, too_deep

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Deep values: arrays and tables nested up to about 12 levels.
deep_values = st.recursive(
    scalars | st.just(1),
    lambda children: (
        st.lists(children, min_size=1, max_size=2) | st.dictionaries(keys, children, min_size=1, max_size=2)
    ),
    max_leaves=14,
)
documents = st.dictionaries(keys, deep_values, min_size=1, max_size=3)


def depth(value: Any) -> int:
    """How many arrays and tables are around the deepest value (the document counts)."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@FAST
@given(documents)
def test_the_prescreen_never_spares_a_document_the_walk_refuses(document: dict[str, Any]) -> None:
    # tomli_w writes tables as headers ([a.b]), arrays of tables as [[a]], the rest inline.
    text = tomli_w.dumps(document)
    data = tomli.loads(text)
    deepest = depth(data)
    for max_depth in range(1, deepest + 2):
        if too_deep(data, max_depth) is not None:
            assert may_nest_deeper(text, max_depth), (text, max_depth)


segments = st.sampled_from(["a", "b", '"c.d"', "'e'", "f-g"])
dotted = st.lists(segments, min_size=1, max_size=4).map(".".join)


@st.composite
def dotted_documents(draw: st.DrawFn) -> str:
    """Documents made of headers, array-of-tables headers and dotted keys, whose values nest inline."""
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["header", "array", "none"]))
        if kind == "header":
            lines.append(f"[{draw(dotted)}]")
        elif kind == "array":
            lines.append(f"[[{draw(dotted)}]]")
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            value = tomli_w.dumps({"v": draw(deep_values)}).partition(" = ")[2].strip() or "1"
            lines.append(f"{draw(dotted)} = {value if chr(10) not in value else 1}")
    return "\n".join(lines) + "\n"


@FAST
@given(dotted_documents())
def test_the_prescreen_counts_dotted_keys_and_headers(text: str) -> None:
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError:
        return  # a key defined twice: not a document
    for max_depth in range(1, depth(data) + 2):
        if too_deep(data, max_depth) is not None:
            assert may_nest_deeper(text, max_depth), (text, max_depth)


def test_an_array_of_tables_is_deeper_than_its_header_alone() -> None:
    text = "[[a]]\n[a.b]\nc = [[1]]\n"  # the document, a, a[0], b, c, and the inner array: 6 deep
    data = tomli.loads(text)
    assert too_deep(data, 5) == (6, ("a", 0, "b", "c", 0))
    assert may_nest_deeper(text, 5)
    assert not may_nest_deeper(text, 8)


def test_a_manifest_just_too_deep_is_still_refused(tmp_path: Any) -> None:
    folder = tmp_path / "deep"
    folder.mkdir()
    (folder / "plugin.toml").write_text('[plugin]\nid = "a"\nversion = "1"\nx = [[1]]\n', encoding="utf-8")
    with pytest.raises(ManifestError) as refused:
        load_manifest(folder, limits=ManifestLimits(max_depth=3))
    assert [(d.code, d.line, d.message) for d in refused.value.diagnostics] == [
        ("limit", 4, "plugin.x[0]: arrays and tables nested more than 3 levels deep, the limit")
    ]


class Trickle(io.RawIOBase):
    """A stream that gives at most 7 bytes a read, as a pipe or a socket may."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read_sizes: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.read_sizes.append(size)
        chunk, self.data = self.data[: min(size, 7)], self.data[min(size, 7) :]
        return chunk


def test_a_bounded_read_reads_a_short_stream_whole() -> None:
    assert read_bounded(Trickle(b"x" * 100), 1000) == b"x" * 100
    assert read_bounded(io.BytesIO(b""), 10) == b""


def test_a_bounded_read_stops_one_byte_beyond_the_limit() -> None:
    stream = Trickle(b"y" * 100)
    assert read_bounded(stream, 20) == b"y" * 21
    assert sum(min(size, 7) for size in stream.read_sizes) == 21  # nothing more was asked for
    big = io.BytesIO(b"z" * 200_000)
    assert read_bounded(big, 100_000) == b"z" * 100_001
    assert big.tell() == 100_001
