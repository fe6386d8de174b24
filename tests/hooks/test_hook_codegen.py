"""The generated fast path of a hook call does exactly what the general loop does.

For random hooks (parameters, ``firstresult``) and random implementations (returning a value, None
or raising; taking any subset of the parameters, in any order, by position or by name) with random
wrappers (passing the result on, replacing it, raising before or after their ``yield``, recovering
from an exception, yielding never or twice), and random calls (right or wrong arguments), both
give the same result or the same error (type, message and notes) after the same calls, in the
same order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifold import ExtensionHandle, HookImpl, Point, Reference
from manifold.hooks import HookRelay
from manifold.hooks._codegen import compilable, generate
from manifold.hooks._execution import general
from manifold.hooks._impl import implementation
from manifold.registry import Registry

NAMES = ("kettle", "water", "cup", "lid")
RETURNS = ("value", "none", "raise")
WRAPS = ("pass", "replace", "raise_before", "raise_after", "recover", "never", "twice")


@dataclass(frozen=True)
class Spec:
    """One implementation: what it does, the parameters it takes (in order) and how."""

    behaviour: str
    wrapper: bool
    takes: tuple[str, ...]
    by_name: tuple[bool, ...]  # per parameter taken: keyword-only
    extra: int | None  # where an undeclared parameter with a default goes, if any


def _source(name: str, spec: Spec) -> str:
    params: list[str] = []
    keyword_only: list[str] = []
    for i, (param, by_name) in enumerate(zip(spec.takes, spec.by_name, strict=True)):
        if spec.extra == i:
            params.append("extra=None")
        if by_name:
            keyword_only.append(param)
        else:  # after ``extra``, a default too (the call passes it by name)
            params.append(param if spec.extra is None or i < spec.extra else f"{param}=None")
    if spec.extra is not None and spec.extra >= len(spec.takes):
        params.append("extra=None")
    signature = ", ".join(params + (["*", *keyword_only] if keyword_only else []))
    got = "{" + ", ".join(f"{p!r}: {p}" for p in spec.takes) + "}"
    body = [f"def {name}({signature}):", f"    LOG.append(({name!r}, {got}))"]
    if not spec.wrapper:
        body.append(
            {
                "value": f"    return {name!r}",
                "none": "    return None",
                "raise": f"    raise ValueError({name!r} + ' failed')",
            }[spec.behaviour]
        )
        return "\n".join(body)
    body += {
        "pass": ["    result = yield", f"    LOG.append(({name!r}, 'after', result))", "    return result"],
        "replace": ["    yield", f"    return [{name!r}]"],
        "raise_before": [f"    raise LookupError({name!r} + ' before')", "    yield"],
        "raise_after": ["    yield", f"    raise LookupError({name!r} + ' after')"],
        "recover": [
            "    try:",
            "        return (yield)",
            "    except ValueError as e:",
            f"        LOG.append(({name!r}, 'recovered', str(e)))",
            f"        return {name!r} + ' recovered'",
        ],
        "never": ["    if False:", "        yield"],
        "twice": ["    yield", "    yield"],
    }[spec.behaviour]
    return "\n".join(body)


@st.composite
def specs(draw: st.DrawFn, params: tuple[str, ...], *, wrapper: bool) -> Spec:
    takes = tuple(draw(st.permutations(params))[: draw(st.integers(0, len(params)))])
    by_name = tuple(draw(st.lists(st.booleans(), min_size=len(takes), max_size=len(takes))))
    extra = draw(st.none() | st.integers(0, len(takes)))
    behaviour = draw(st.sampled_from(WRAPS if wrapper else RETURNS))
    return Spec(behaviour, wrapper, takes, by_name, extra)


@st.composite
def hooks(draw: st.DrawFn) -> tuple[Point, list[Spec], dict[str, Any], tuple[Any, ...]]:
    params = tuple(draw(st.permutations(NAMES))[: draw(st.integers(0, len(NAMES)))])
    point = Point("acme.kettle-on", hook=True, parameters=params, firstresult=draw(st.booleans()))
    inner = draw(st.lists(specs(params, wrapper=False), max_size=6))
    wrappers = draw(st.lists(specs(params, wrapper=True), max_size=4))
    everything = draw(st.permutations(inner + wrappers))
    kwargs: dict[str, Any] = {p: f"{p}-{i}" for i, p in enumerate(params)}
    args: tuple[Any, ...] = ()
    wrong = draw(st.sampled_from(["none", "none", "none", "missing", "unknown", "positional"]))
    if wrong == "missing" and params:
        del kwargs[draw(st.sampled_from(params))]
    elif wrong == "unknown":
        kwargs["spout"] = 1
    elif wrong == "positional":
        args = ("k",)
    return point, everything, kwargs, args


def _impls(point: Point, specs: list[Spec], log: list[Any]) -> tuple[HookImpl, ...]:
    impls = []
    for index, spec in enumerate(specs):
        name = f"f{index}"
        namespace: dict[str, Any] = {"LOG": log}
        exec(_source(name, spec), namespace)
        handle = ExtensionHandle(
            plugin=f"p{index}",
            point=point.id,
            index=0,
            ref=Reference("pkg", name),
            id=None,
            priority=0,
            config={},
            order=index,
            loader=lambda handle: None,
            wrapper=spec.wrapper,
        )
        impl = implementation(point, handle, namespace[name])
        assert isinstance(impl, HookImpl), impl
        impls.append(impl)
    return tuple(impls)


def _outcome(call: Callable[[], Any], log: list[Any]) -> tuple[Any, list[Any]]:
    log.clear()
    try:
        result: Any = ("returned", call())
    except Exception as e:
        result = ("raised", type(e), str(e), getattr(e, "__notes__", None))
    return result, list(log)


@settings(deadline=None)
@given(hooks())
def test_the_generated_call_and_the_general_loop_agree(case: tuple[Point, list[Spec], dict[str, Any], Any]) -> None:
    point, spec_list, kwargs, args = case
    log: list[Any] = []
    impls = _impls(point, spec_list, log)
    assert compilable(point, impls)
    fast, slow = generate(point, impls), general(point, impls)
    generated = _outcome(lambda: fast(None, *args, **kwargs), log)
    looped = _outcome(lambda: slow(None, *args, **kwargs), log)
    assert generated == looped


@settings(deadline=None)
@given(hooks())
def test_runs_called_in_a_loop_agree_with_the_general_loop_too(
    case: tuple[Point, list[Spec], dict[str, Any], Any],
) -> None:
    from unittest import mock

    import manifold.hooks._codegen as codegen

    point, spec_list, kwargs, args = case
    log: list[Any] = []
    impls = _impls(point, spec_list, log)
    with mock.patch.object(codegen, "_UNROLLED", 1):  # every run of two or more becomes a loop
        fast = generate(point, impls)
    slow = general(point, impls)
    assert _outcome(lambda: fast(None, *args, **kwargs), log) == _outcome(lambda: slow(None, *args, **kwargs), log)


@pytest.mark.parametrize("firstresult", [False, True])
def test_a_long_run_of_implementations_is_called_in_a_loop_that_blames_the_one_that_raised(firstresult: bool) -> None:
    import manifold.hooks._codegen as codegen

    point = Point("acme.kettle-on", hook=True, parameters=("kettle",), firstresult=firstresult)
    count = codegen._UNROLLED * 3
    specs = [Spec("none" if firstresult else "value", False, ("kettle",), (False,), None) for _ in range(count)]
    specs[count - 2] = Spec("raise", False, ("kettle",), (False,), None)
    log: list[Any] = []
    impls = _impls(point, specs, log)
    call = generate(point, impls)
    names = call.__code__.co_names  # one loop over a tuple of the run, no call written out per implementation
    assert "_h_run0" in names
    assert not [name for name in names if name.startswith("_h_f")]
    outcome = _outcome(lambda: call(None, kettle="k"), log)
    assert outcome == _outcome(lambda: general(point, impls)(None, kettle="k"), log)
    kind, error, words, notes = outcome[0]
    assert (kind, error, words) == ("raised", ValueError, f"f{count - 2} failed")
    assert notes is not None
    assert f"p{count - 2}" in notes[0]
    assert len(outcome[1]) == count - 1  # every implementation up to the one that raised, in order
    assert [name for name, _ in outcome[1]] == [f"f{i}" for i in range(count - 1)]


def test_the_property_covers_every_kind_of_implementation() -> None:
    """A spot check that the strategies reach the interesting cases: one of each, in one call."""
    point = Point("acme.kettle-on", hook=True, parameters=("kettle", "water"))
    spec_list = [
        Spec("recover", True, ("water",), (True,), None),
        Spec("pass", True, (), (), 0),
        Spec("value", False, ("water", "kettle"), (False, False), 1),
        Spec("none", False, ("kettle",), (True,), None),
        Spec("raise", False, ("kettle", "water"), (False, True), None),
    ]
    log: list[Any] = []
    impls = _impls(point, spec_list, log)
    kwargs = {"kettle": "k", "water": "w"}
    generated = _outcome(lambda: generate(point, impls)(None, **kwargs), log)
    assert generated == (
        ("returned", "f0 recovered"),
        [
            ("f0", {"water": "w"}),
            ("f1", {}),
            ("f2", {"water": "w", "kettle": "k"}),
            ("f3", {"kettle": "k"}),
            ("f4", {"kettle": "k", "water": "w"}),
            ("f0", "recovered", "f4 failed"),
        ],
    )
    assert _outcome(lambda: general(point, impls)(None, **kwargs), log) == generated


# --------------------------------------------------------------------------- the order of a point
@st.composite
def ordered_hooks(draw: st.DrawFn) -> tuple[Point, list[tuple[Spec, int, int]]]:
    """A hook with an ``order`` and ``firstresult``, and implementations from up to 4 plugins (their load
    order), each with a priority: ``(spec, plugin, priority)``."""
    order = draw(st.sampled_from(["priority", "last-registered-first"]))
    point = Point("acme.kettle-on", hook=True, parameters=("kettle",), firstresult=draw(st.booleans()), order=order)
    inner = st.builds(
        Spec, st.sampled_from(["value", "none"]), st.just(False), st.just(("kettle",)), st.just((False,)), st.none()
    )
    wrapper = st.builds(Spec, st.just("pass"), st.just(True), st.just(()), st.just(()), st.none())
    entries = draw(st.lists(st.tuples(inner | wrapper, st.integers(0, 3), st.integers(-1, 1)), max_size=8))
    return point, entries


@settings(deadline=None)
@given(ordered_hooks())
def test_both_paths_call_in_the_order_of_the_point(case: tuple[Point, list[tuple[Spec, int, int]]]) -> None:
    point, entries = case
    log: list[Any] = []
    registry = Registry()
    registry.add_point(point)
    functions: dict[str, Any] = {}
    seen: dict[int, int] = {}
    rank: dict[str, tuple[int, int, int]] = {}
    for number, (spec, plugin, priority) in enumerate(entries):
        name = f"f{number}"
        namespace: dict[str, Any] = {"LOG": log}
        exec(_source(name, spec), namespace)
        functions[name] = namespace[name]
        index = seen[plugin] = seen.get(plugin, -1) + 1  # the plugin's n-th [[extensions]] entry
        registry.add(
            ExtensionHandle(
                plugin=f"p{plugin}",
                point=point.id,
                index=index,
                ref=Reference("pkg", name),
                id=None,
                priority=priority,
                config={},
                order=plugin,
                loader=lambda handle: functions[str(handle.ref).partition(":")[2]],
                wrapper=spec.wrapper,
            )
        )
        rank[name] = (priority, plugin, index)
    relay = HookRelay(
        registry, extensions=registry.extensions, plugin_state=lambda plugin: "active", load=ExtensionHandle.load
    )
    _, impls = relay.implementations(point.id)
    # The order, worked out independently: the highest priority first, then by registration
    # (load order, then manifest order), the first registered first or (last-registered-first) last.
    sign = -1 if point.order == "last-registered-first" else 1
    ranked = sorted(rank, key=lambda n: (-rank[n][0], sign * rank[n][1], sign * rank[n][2]))
    wrappers = [n for n in ranked if entries[int(n[1:])][0].wrapper]
    inner = [n for n in ranked if not entries[int(n[1:])][0].wrapper]
    answers = [n for n in inner if entries[int(n[1:])][0].behaviour == "value"]
    called = inner[: inner.index(answers[0]) + 1] if point.firstresult and answers else inner
    result: Any = (answers[0] if answers else None) if point.firstresult else answers
    expected = (
        ("returned", result),
        [(n, {}) for n in wrappers]
        + [(n, {"kettle": "k"}) for n in called]
        + [(n, "after", result) for n in reversed(wrappers)],
    )
    assert [i.handle.ref.qualname for i in impls] == wrappers + inner  # type: ignore[union-attr]
    assert _outcome(lambda: generate(point, impls)(None, kettle="k"), log) == expected
    assert _outcome(lambda: general(point, impls)(None, kettle="k"), log) == expected


def test_a_short_run_is_written_out_call_by_call() -> None:
    import manifold.hooks._codegen as codegen

    point = Point("acme.kettle-on", hook=True, parameters=("kettle",))
    specs = [Spec("value", False, ("kettle",), (False,), None) for _ in range(codegen._UNROLLED)]
    call = generate(point, _impls(point, specs, []))
    assert [name for name in call.__code__.co_names if name.startswith("_h_f")] == [
        f"_h_f{i}" for i in range(codegen._UNROLLED)
    ]
    assert call(None, kettle="k") == [f"f{i}" for i in range(codegen._UNROLLED)]
