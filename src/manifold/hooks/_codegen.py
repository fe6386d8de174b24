"""The fast path of a hook call: straight-line Python generated for exactly one list of implementations.

One call per implementation, its arguments spelled out, wrappers as nested ``try`` blocks around
a call of the others; no dictionary, no sorting, and a loop only over a long run of implementations
taking the same arguments (``_UNROLLED``). Python's zero-cost ``try`` lets each
call name its plugin in an exception's notes for free. The code does what ``_execution.steps``
does (``tests/test_hook_codegen.py`` checks that they agree), with the same wrapper protocol.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from typing import Any

from manifold.hooks._execution import begin, blame, send, throw
from manifold.hooks._impl import MISSING, HookImpl, bad_call, refuse_async
from manifold.registry import Point

__all__ = ["compilable", "generate"]

_PREFIX = "_h_"  # the prefix of every name the compiled code uses besides the hook's parameters
_MAX_WRAPPERS = 16  # compiled code nests a try block per wrapper; Python allows 20 nested blocks
_UNROLLED = 16
"""At most this many consecutive implementations called with the same arguments are written out one by one;
a longer run is called in a loop over a tuple, so that the code stays small: 1,000 implementations written
out took 56 ms to compile, longer than a thousand calls of the hook."""


def compilable(point: Point, impls: Sequence[HookImpl]) -> bool:
    """Whether ``generate`` can write the call: parameters that are plain names, not too many wrappers."""
    names_ok = all(
        n.isidentifier() and not keyword.iskeyword(n) and not n.startswith(_PREFIX) for n in point.parameters
    )
    return names_ok and sum(i.wrapper for i in impls) <= _MAX_WRAPPERS


def generate(point: Point, impls: tuple[HookImpl, ...]) -> Callable[..., Any]:
    """Python source for the call, compiled: argument checks, then one call per implementation."""
    params = point.parameters
    namespace: dict[str, Any] = {
        "_h_M": MISSING,
        "_h_point": point,
        "_h_impls": impls,
        "_h_bad": bad_call,
        "_h_blame": blame,
        "_h_refuse": refuse_async,
        "_h_begin": begin,
        "_h_send": send,
        "_h_throw": throw,
        "_h_id": point.id,
    }
    signature = "".join(f", {p}=_h_M" for p in params)
    values = "".join(f"{p}, " for p in params)
    wrong = " or ".join(["_h_args", "_h_extra", *(f"{p} is _h_M" for p in params)])
    lines = [
        f"def __call__(_h_self, *_h_args{signature}, **_h_extra):",
        f"    if {wrong}:",
        f"        _h_bad(_h_point, _h_args, _h_extra, ({values}))",
    ]
    wrappers = [i for i, impl in enumerate(impls) if impl.wrapper]
    inner = [i for i, impl in enumerate(impls) if not impl.wrapper]
    if any(impl.is_async for impl in impls):
        lines.append("    _h_refuse(_h_point, _h_impls)")
    elif wrappers:  # nested try blocks, the outermost wrapper first, around a call of the others
        for depth, i in enumerate(wrappers, 1):
            lines += [f"{'    ' * depth}_h_g{i} = _h_begin(_h_f{i}({_arguments(impls[i])}), _h_impls[{i}], _h_id)"]
            lines += [f"{'    ' * depth}try:"]
        lines.append(f"{'    ' * (len(wrappers) + 1)}_h_res = _h_inner({values})")
        for depth, i in reversed(list(enumerate(wrappers, 1))):
            pad = "    " * depth
            lines += [
                f"{pad}except BaseException as _h_e:",
                f"{pad}    _h_res = _h_throw(_h_g{i}, _h_e, _h_impls[{i}], _h_id)",
                f"{pad}else:",
                f"{pad}    _h_res = _h_send(_h_g{i}, _h_res, _h_impls[{i}], _h_id)",
            ]
        lines.append("    return _h_res")
        inner_lines = [f"def _h_inner({values}):"]
        _loop(inner_lines, namespace, point, impls, inner)
        exec(compile("\n".join(inner_lines), f"<hook {point.id}>", "exec"), namespace)
    else:
        _loop(lines, namespace, point, impls, inner)
    for i, impl in enumerate(impls):
        namespace[f"_h_f{i}"] = impl.function
    exec(compile("\n".join(lines), f"<hook {point.id}>", "exec"), namespace)
    function: Callable[..., Any] = namespace.pop("__call__")  # no cycle through the namespace
    return function


def _arguments(impl: HookImpl) -> str:
    return ", ".join([*impl.positional, *(f"{k}={k}" for k in impl.keywords)])


def _loop(
    lines: list[str], namespace: dict[str, Any], point: Point, impls: tuple[HookImpl, ...], indices: Sequence[int]
) -> None:
    if not point.firstresult:
        lines.append("    _h_r = []")
    found = "        return _h_v" if point.firstresult else "        _h_r.append(_h_v)"
    for run in _runs(impls, indices):
        arguments = _arguments(impls[run[0]])
        if len(run) > _UNROLLED:  # a loop over (index, function) pairs, the same body indented once more
            namespace[f"_h_run{run[0]}"] = tuple((i, impls[i].function) for i in run)
            lines += [
                f"    for _h_i, _h_f in _h_run{run[0]}:",
                "        try:",
                f"            _h_v = _h_f({arguments})",
                "        except BaseException as _h_e:",
                "            _h_blame(_h_e, _h_impls[_h_i], _h_id)",
                "            raise",
                "        if _h_v is not None:",
                f"    {found}",
            ]
            continue
        for i in run:
            lines += [
                "    try:",
                f"        _h_v = _h_f{i}({arguments})",
                "    except BaseException as _h_e:",
                f"        _h_blame(_h_e, _h_impls[{i}], _h_id)",
                "        raise",
                "    if _h_v is not None:",
                found,
            ]
    lines.append("    return None" if point.firstresult else "    return _h_r")


def _runs(impls: tuple[HookImpl, ...], indices: Sequence[int]) -> list[list[int]]:
    """``indices`` cut into runs of consecutive implementations called with the same arguments."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and _arguments(impls[runs[-1][0]]) == _arguments(impls[i]):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
