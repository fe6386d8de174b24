"""Hook callers: call the implementations of a hook point, compiled once into straight-line code.

A hook is an extension point whose contributions are callables (``hook = true``). The manager
gives one ``HookCaller`` per hook (``manager.hook(point_id)``); calling it calls every
implementation, highest priority first, ties in load order, with keyword arguments only, and
returns the non-None results (or the first one for ``firstresult`` hooks). Extensions with
``wrapper = true`` are generator functions around the others, as pluggy's ``wrapper=True``.

The fast path: when the implementations change (extensions added or removed, an extension or a
plugin failed, a plugin activated, deactivated or unloaded) the caller is only marked stale.
The next call loads the implementations (importing the lazy plugins that have some), reads their
signatures and compiles a function for exactly that list: one call per implementation, its
arguments spelled out, wrappers as nested ``try`` blocks; no loop, no dictionary, no sorting.
Python's zero-cost ``try`` lets each call name its plugin in an exception's notes for free.
That function becomes the
``__call__`` of the caller's own class, so calling the caller is one Python call plus the
implementations' own calls.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import logging
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from manifold.errors import HookCallError, HookError, ManifoldError
from manifold.registry import ExtensionHandle, Point

if TYPE_CHECKING:
    from manifold.manager import Manager

__all__ = [
    "After",
    "Before",
    "HookCallError",
    "HookCaller",
    "HookError",
    "HookFailure",
    "HookImpl",
    "HookOutcome",
    "SafeResult",
]

logger = logging.getLogger("manifold")


@dataclass(frozen=True, slots=True)
class HookImpl:
    """One implementation of a hook: the loaded callable, the declared arguments it takes
    (``positional`` passed by position, ``keywords`` by name) and the extension it comes from."""

    plugin: str
    handle: ExtensionHandle
    function: Callable[..., Any]
    positional: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    wrapper: bool = False
    is_async: bool = False

    @property
    def argnames(self) -> tuple[str, ...]:
        return self.positional + self.keywords

    def call(self, kwargs: Mapping[str, Any]) -> Any:
        """Call it with its share of ``kwargs`` (the slow, general way; compiled callers do not use it)."""
        return self.function(*[kwargs[n] for n in self.positional], **{n: kwargs[n] for n in self.keywords})

    def __str__(self) -> str:
        return f"{self.plugin} ({self.handle.ref})"


@dataclass(frozen=True, slots=True)
class HookOutcome:
    """What a hook call gave a monitor's ``after``: its ``result``, or the ``exception`` it raised."""

    result: Any = None
    exception: BaseException | None = None

    def get(self) -> Any:
        """The result, or raise the exception."""
        if self.exception is not None:
            raise self.exception
        return self.result


@dataclass(frozen=True, slots=True)
class HookFailure:
    """An implementation that raised during ``call_safe``: its plugin, extension and exception."""

    plugin: str
    error: BaseException
    handle: ExtensionHandle | None = None


@dataclass(frozen=True, slots=True)
class SafeResult:
    """What ``call_safe`` returns: ``result`` is what a plain call would have returned without the
    implementations that raised; ``successes`` holds ``(plugin id, value)`` of every implementation
    that returned (None included), ``failures`` every one that raised, both in call order."""

    result: Any
    successes: tuple[tuple[str, Any], ...]
    failures: tuple[HookFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


Before = Callable[[str, tuple[HookImpl, ...], Mapping[str, Any]], object]
"""``before(hook, impls, kwargs)``: called ahead of every hook call."""
After = Callable[[HookOutcome, str, tuple[HookImpl, ...], Mapping[str, Any]], object]
"""``after(outcome, hook, impls, kwargs)``: called after every hook call, with its outcome."""

_MISSING: Any = object()
_PREFIX = "_h_"  # the prefix of every name the compiled code uses besides the hook's parameters
_MAX_WRAPPERS = 16  # compiled code nests a try block per wrapper; Python allows 20 nested blocks


class HookCaller:
    """Calls the implementations of one hook; get it from ``manager.hook(point_id)``.

    ``caller(**kwargs)`` returns the list of non-None results (``firstresult``: the first one, or
    None); ``call_safe`` logs and skips implementations that raise; ``await acall(**kwargs)``
    awaits ``async`` implementations; ``call_historic`` also calls plugins activated later.
    Each caller is the only instance of a class of its own, whose ``__call__`` is the code
    compiled for the current implementations (or, when stale, this one, which compiles it).
    """

    __slots__ = ("_generation", "_hooks", "_impls", "_point", "id")

    def __init__(self, hooks: Hooks, point_id: str) -> None:
        self.id = point_id
        self._hooks = hooks
        self._generation = 0
        self._impls: tuple[HookImpl, ...] | None = None
        self._point: Point | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call every implementation with ``kwargs``; see the class."""
        return self._compile()[2](self, *args, **kwargs)

    @property
    def implementations(self) -> tuple[HookImpl, ...]:
        """The implementations in call order (wrappers included); loads them, like a call."""
        return self._current()[1]

    def call_safe(self, **kwargs: Any) -> SafeResult:
        """Call every implementation; one that raises an ``Exception`` is logged and skipped."""
        point, impls = self._current()
        _check_arguments(point, (), kwargs)
        _refuse_async(point, impls)
        result: SafeResult = self._hooks.monitored(point, impls, kwargs, lambda: _call_safe(point, impls, kwargs))
        return result

    async def acall(self, **kwargs: Any) -> Any:
        """Call every implementation, awaiting the ``async`` ones, in order; returns as a plain call."""
        point, impls = self._current()
        _check_arguments(point, (), kwargs)
        monitors = self._hooks.monitors
        for before, _ in monitors:
            if before is not None:
                before(point.id, impls, kwargs)
        try:
            result = await _acall(point, impls, kwargs)
        except BaseException as e:
            _after(monitors, HookOutcome(exception=e), point, impls, kwargs)
            raise
        _after(monitors, HookOutcome(result), point, impls, kwargs)
        return result

    def call_historic(self, result_callback: Callable[[Any], object] | None = None, **kwargs: Any) -> None:
        """Call the implementations of the plugins active now (importing nothing) and remember the
        call: every plugin activated later gets it too, right after its activation. Each non-None
        result goes to ``result_callback``; ``firstresult`` does not apply."""
        point, impls = self._current(active=True)
        _check_arguments(point, (), kwargs)
        _refuse_async(point, impls)
        kwargs = dict(kwargs)
        self._hooks.remember(point.id, kwargs, result_callback)
        every = Point(point.id, point.plugin, parameters=point.parameters, hook=True)
        results = self._hooks.monitored(every, impls, kwargs, lambda: _call(every, impls, kwargs))
        if result_callback is not None:
            for value in results:
                result_callback(value)

    def __repr__(self) -> str:
        count = "stale" if self._impls is None else f"{len(self._impls)} implementations"
        return f"<hook {self.id}: {count}>"

    # --------------------------------------------------------------- compiling
    def _current(self, *, active: bool = False) -> tuple[Point, tuple[HookImpl, ...]]:
        if active:
            return self._hooks.implementations(self.id, active=True)
        point, impls = self._point, self._impls
        if point is None or impls is None:
            point, impls, _ = self._compile()
        return point, impls

    def _compile(self) -> tuple[Point, tuple[HookImpl, ...], Callable[..., Any]]:
        """Load the implementations, compile the call and install it (unless it went stale meanwhile)."""
        for _ in range(3):  # loading may activate plugins, which marks this caller stale: read again
            generation = self._generation
            point, impls = self._hooks.implementations(self.id)
            if self._generation == generation:
                break
        function = _compile(point, impls, self._hooks.monitors)
        if self._generation == generation:
            self._point, self._impls = point, impls
            type(self).__call__ = function  # type: ignore[method-assign]
            if self._generation != generation:  # marked stale while installing: let the next call compile
                self._stale()
        return point, impls, function

    def _stale(self) -> None:
        self._generation += 1
        self._impls = None
        type(self).__call__ = HookCaller.__call__  # type: ignore[method-assign]


class Hooks:
    """The hook callers of one manager, the historic calls to replay and the monitors."""

    def __init__(self, manager: Manager) -> None:
        self._manager = manager
        self._callers: dict[str, HookCaller] = {}
        self._history: dict[str, list[tuple[Mapping[str, Any], Callable[[Any], object] | None]]] = {}
        self.monitors: tuple[tuple[Before | None, After | None], ...] = ()

    def caller(self, point_id: str) -> HookCaller:
        caller = self._callers.get(point_id)
        if caller is None:
            kind: type[HookCaller] = type(f"HookCaller[{point_id}]", (HookCaller,), {"__slots__": ()})
            caller = self._callers.setdefault(point_id, kind(self, point_id))
        return caller

    def invalidate(self, point_id: str | None = None) -> None:
        """Mark the caller of ``point_id`` (None: every caller) stale; the next call compiles again."""
        if point_id is None:
            for caller in list(self._callers.values()):
                caller._stale()
        elif point_id in self._callers:
            self._callers[point_id]._stale()

    def implementations(self, point_id: str, *, active: bool = False) -> tuple[Point, tuple[HookImpl, ...]]:
        """The point and its implementations in call order, loaded (which activates lazy plugins,
        unless ``active``: then only those of plugins that are active now)."""
        manager = self._manager
        point = manager.points().get(point_id)
        if point is None or not point.hook:
            what = "no point of that id is declared" if point is None else "the point is not a hook"
            raise HookError(f"hook {point_id}: {what}", hook=point_id)
        callable_states = ("active",) if active else ("resolved", "loaded", "active")
        impls: list[HookImpl] = []
        for handle in manager.extensions(point_id):
            if manager.inspect(handle.plugin).state not in callable_states:
                continue  # deactivated by the host, failed or unavailable
            try:
                value = handle.load()
            except ManifoldError:
                continue  # the manager logged it and marked the extension or the plugin failed
            impl = implementation(point, handle, value)
            if isinstance(impl, HookImpl):
                impls.append(impl)
        wrappers = [i for i in impls if i.wrapper]
        return point, tuple(wrappers + [i for i in impls if not i.wrapper])

    def remember(self, point_id: str, kwargs: Mapping[str, Any], callback: Callable[[Any], object] | None) -> None:
        self._history.setdefault(point_id, []).append((kwargs, callback))

    def activated(self, plugin_id: str) -> None:
        """A plugin became active: every caller is stale, and the plugin gets the historic calls."""
        self.invalidate()
        for point_id, calls in list(self._history.items()):
            point = self._manager.points().get(point_id)
            if point is None:
                continue
            for handle in self._manager.extensions(point_id):
                if handle.plugin != plugin_id or handle.wrapper:
                    continue
                try:
                    impl = implementation(point, handle, handle.load())
                except ManifoldError:
                    continue
                if isinstance(impl, HookImpl):
                    self._replay(point, impl, calls)

    def _replay(
        self,
        point: Point,
        impl: HookImpl,
        calls: Sequence[tuple[Mapping[str, Any], Callable[[Any], object] | None]],
    ) -> None:
        every = Point(point.id, point.plugin, parameters=point.parameters, hook=True)
        for kwargs, callback in calls:
            try:
                if impl.is_async:
                    message = f"hook {point.id}: cannot replay a historic call to async {impl}"
                    raise HookCallError(message, hook=point.id)
                results = self.monitored(every, (impl,), kwargs, functools.partial(_call, every, (impl,), kwargs))
                if callback is not None:
                    for value in results:
                        callback(value)
            except Exception:
                logger.exception("hook %s: replaying a historic call to %s raised", point.id, impl)

    def monitor(self, before: Before | None, after: After | None) -> Callable[[], None]:
        entry = (before, after)
        self.monitors = (*self.monitors, entry)
        self.invalidate()

        def remove() -> None:
            if entry in self.monitors:
                monitors = list(self.monitors)
                monitors.remove(entry)
                self.monitors = tuple(monitors)
                self.invalidate()

        return remove

    def monitored(
        self, point: Point, impls: tuple[HookImpl, ...], kwargs: Mapping[str, Any], run: Callable[[], Any]
    ) -> Any:
        monitors = self.monitors
        if not monitors:
            return run()
        for before, _ in monitors:
            if before is not None:
                before(point.id, impls, kwargs)
        try:
            result = run()
        except BaseException as e:
            _after(monitors, HookOutcome(exception=e), point, impls, kwargs)
            raise
        _after(monitors, HookOutcome(result), point, impls, kwargs)
        return result

    def close(self) -> None:
        self._history.clear()
        self.monitors = ()
        self.invalidate()


def _after(
    monitors: Iterable[tuple[Before | None, After | None]],
    outcome: HookOutcome,
    point: Point,
    impls: tuple[HookImpl, ...],
    kwargs: Mapping[str, Any],
) -> None:
    for _, after in monitors:
        if after is not None:
            after(outcome, point.id, impls, kwargs)


# ------------------------------------------------------------------- implementations
def implementation(point: Point, handle: ExtensionHandle, value: Any) -> HookImpl | str:
    """``value`` (a loaded extension of the hook ``point``) as an implementation, or what is wrong
    with it: a message starting with the extension's key path."""
    where = f"extensions[{handle.index}]"
    if handle.ref is None:
        return f"{where}: a contribution to hook {point.id} needs a ref naming the callable to call"
    name = f"{handle.ref} of {handle.plugin}"
    if not callable(value):
        return (
            f"{where}.ref: {name} is not callable (a {type(value).__name__}); hook {point.id} calls its contributions"
        )
    try:
        parameters = inspect.signature(value).parameters.values()
    except (TypeError, ValueError):
        return f"{where}.ref: the parameters of {name} cannot be read, so hook {point.id} cannot call it"
    declared = point.parameters
    positional: list[str] = []
    keywords: list[str] = []
    skipped: str | None = None  # an undeclared parameter with a default: what follows goes by name
    takes_rest = False
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL:
            skipped = skipped or p.name
        elif p.kind is p.VAR_KEYWORD:
            takes_rest = True
        elif p.name not in declared:
            if p.default is p.empty:
                its = ", ".join(declared) or "none"
                return (
                    f"{where}.ref: {name} takes parameter {p.name!r}, which hook {point.id} does not declare "
                    f"(its parameters: {its})"
                )
            if p.kind is not p.KEYWORD_ONLY:
                skipped = skipped or p.name
        elif p.kind is p.KEYWORD_ONLY or (skipped and p.kind is p.POSITIONAL_OR_KEYWORD):
            keywords.append(p.name)
        elif skipped and p.kind is p.POSITIONAL_ONLY:
            return (
                f"{where}.ref: {name} takes {p.name!r} by position only, after {skipped!r}, "
                f"which hook {point.id} does not pass"
            )
        else:
            positional.append(p.name)
    if takes_rest:
        named = {p.name for p in parameters}
        keywords += [n for n in declared if n not in named]
    if handle.wrapper and not _is(inspect.isgeneratorfunction, value):
        return f"{where}.ref: {name} is a wrapper (wrapper = true) but not a generator function; it must yield once"
    return HookImpl(
        handle.plugin,
        handle,
        value,
        tuple(positional),
        tuple(keywords),
        handle.wrapper,
        _is(inspect.iscoroutinefunction, value),
    )


def implementation_problem(point: Point, handle: ExtensionHandle, value: Any) -> str | None:
    """What makes ``value`` unusable as an implementation of the hook ``point``, or None."""
    impl = implementation(point, handle, value)
    return impl if isinstance(impl, str) else None


def _is(test: Callable[[Any], bool], value: Any) -> bool:
    """``test`` on a function, or on the ``__call__`` of a callable object."""
    return test(value) or (not inspect.isroutine(value) and test(type(value).__call__))


# ------------------------------------------------------------------- checking a call
def _check_arguments(point: Point, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    problems = []
    if args:
        problems.append(f"takes keyword arguments only, got {len(args)} positional")
    missing = [n for n in point.parameters if n not in kwargs]
    if missing:
        problems.append(f"missing argument{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    unknown = [n for n in kwargs if n not in point.parameters]
    if unknown:
        problems.append(f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
    if problems:
        its = ", ".join(point.parameters) or "none"
        raise HookCallError(f"hook {point.id}: {'; '.join(problems)} (its parameters: {its})", hook=point.id)


def _bad_call(point: Point, args: tuple[Any, ...], extra: Mapping[str, Any], values: tuple[Any, ...]) -> None:
    """The compiled code found a wrong call: raise the error ``_check_arguments`` words."""
    kwargs = {n: v for n, v in zip(point.parameters, values, strict=True) if v is not _MISSING}
    _check_arguments(point, args, {**kwargs, **extra})


def _refuse_async(point: Point, impls: Sequence[HookImpl]) -> None:
    asynchronous = [str(i) for i in impls if i.is_async]
    if asynchronous:
        raise HookCallError(
            f"hook {point.id} has async implementations ({', '.join(asynchronous)}); await its acall() instead",
            hook=point.id,
        )


# ------------------------------------------------------------------- running
def _blame(error: BaseException, impl: HookImpl, point_id: str) -> None:
    """Note on ``error`` which implementation raised it (once per hook, however far it travels)."""
    prefix = f"hook {point_id}: raised by "
    if not any(isinstance(n, str) and n.startswith(prefix) for n in getattr(error, "__notes__", ())):
        error.add_note(f"{prefix}{impl}")


def _wrapfail(impl: HookImpl, point_id: str, what: str) -> RuntimeError:
    error = RuntimeError(f"hook {point_id}: the wrapper {impl} {what}; a wrapper must yield exactly once")
    _blame(error, impl, point_id)
    return error


Teardown = Generator[None, Any, Any]


def _begin(gen: Teardown, impl: HookImpl, point_id: str) -> Teardown:
    """Run a wrapper to its ``yield``."""
    try:
        next(gen)
    except StopIteration:
        raise _wrapfail(impl, point_id, "did not yield") from None
    except BaseException as e:
        _blame(e, impl, point_id)
        raise
    return gen


def _send(gen: Teardown, result: Any, impl: HookImpl, point_id: str) -> Any:
    """Resume a wrapper with the result; what it returns is the new result."""
    try:
        gen.send(result)
    except StopIteration as stop:
        return stop.value
    except BaseException as e:
        _blame(e, impl, point_id)
        raise
    gen.close()
    raise _wrapfail(impl, point_id, "yielded a second time")


def _throw(gen: Teardown, error: BaseException, impl: HookImpl, point_id: str) -> Any:
    """Raise the exception at a wrapper's ``yield``; it may return a result instead, or raise."""
    try:
        gen.throw(error)
    except StopIteration as stop:
        return stop.value
    except BaseException as e:
        if e is not error:
            _blame(e, impl, point_id)
        raise
    gen.close()
    raise _wrapfail(impl, point_id, "yielded a second time")


def _start(point_id: str, wrappers: Sequence[HookImpl], gens: Iterable[Any], teardowns: list[Any]) -> None:
    """Run each wrapper to its ``yield``, outermost first; ``teardowns`` gets those that got there."""
    for impl, gen in zip(wrappers, gens, strict=True):
        teardowns.append((impl, _begin(gen, impl, point_id)))


def _finish(point_id: str, teardowns: list[tuple[HookImpl, Teardown]], result: Any, error: BaseException | None) -> Any:
    """Resume the wrappers, innermost first, with the result or the exception; each may change it."""
    for impl, gen in reversed(teardowns):
        try:
            if error is None:
                result = _send(gen, result, impl, point_id)
            else:
                result, error = _throw(gen, error, impl, point_id), None
        except BaseException as e:
            error = e
    if error is not None:
        raise error
    return result


def _wrapped(
    point_id: str, wrappers: Sequence[HookImpl], gens: Iterable[Any], inner: Callable[..., Any], *args: Any
) -> Any:
    """Run ``inner(*args)`` inside the wrappers (``gens``: their generators, not started yet)."""
    teardowns: list[Any] = []
    try:
        _start(point_id, wrappers, gens, teardowns)
        result, error = inner(*args), None
    except BaseException as e:
        result, error = None, e
    return _finish(point_id, teardowns, result, error)


def _inner(point: Point, impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> Any:
    results = []
    for impl in impls:
        try:
            value = impl.call(kwargs)
        except BaseException as e:
            _blame(e, impl, point.id)
            raise
        if value is not None:
            if point.firstresult:
                return value
            results.append(value)
    return None if point.firstresult else results


def _call(point: Point, impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> Any:
    """A call, the general way: what compiled code does, and what it falls back to."""
    wrappers = [i for i in impls if i.wrapper]
    inner = [i for i in impls if not i.wrapper]
    if not wrappers:
        return _inner(point, inner, kwargs)
    return _wrapped(point.id, wrappers, [w.call(kwargs) for w in wrappers], _inner, point, inner, kwargs)


async def _acall(point: Point, impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> Any:
    wrappers = [i for i in impls if i.wrapper]
    teardowns: list[Any] = []
    try:
        _start(point.id, wrappers, [w.call(kwargs) for w in wrappers], teardowns)
        result, error = await _ainner(point, [i for i in impls if not i.wrapper], kwargs), None
    except BaseException as e:
        result, error = None, e
    return _finish(point.id, teardowns, result, error)


async def _ainner(point: Point, impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> Any:
    results = []
    for impl in impls:
        try:
            value = impl.call(kwargs)
            if impl.is_async:
                value = await value
        except BaseException as e:
            _blame(e, impl, point.id)
            raise
        if value is not None:
            if point.firstresult:
                return value
            results.append(value)
    return None if point.firstresult else results


def _call_safe(point: Point, impls: Sequence[HookImpl], kwargs: Mapping[str, Any]) -> SafeResult:
    successes: list[tuple[str, Any]] = []
    failures: list[HookFailure] = []

    def failed(impl: HookImpl, error: Exception) -> None:
        logger.error(
            "hook %s: %s raised %s: %s; skipped",
            point.id,
            impl,
            type(error).__name__,
            error,
            exc_info=error,
        )
        failures.append(HookFailure(impl.plugin, error, impl.handle))

    teardowns: list[tuple[HookImpl, Teardown]] = []
    for wrapper in (i for i in impls if i.wrapper):
        try:
            gen = wrapper.call(kwargs)
            next(gen)
        except StopIteration:
            failed(wrapper, _wrapfail(wrapper, point.id, "did not yield"))
            continue
        except Exception as e:
            failed(wrapper, e)
            continue
        teardowns.append((wrapper, gen))
    results = []
    for impl in (i for i in impls if not i.wrapper):
        try:
            value = impl.call(kwargs)
        except Exception as e:
            failed(impl, e)
            continue
        successes.append((impl.plugin, value))
        if value is not None:
            results.append(value)
            if point.firstresult:
                break
    result: Any = (results[0] if results else None) if point.firstresult else results
    for wrapper, gen in reversed(teardowns):
        try:
            gen.send(result)
        except StopIteration as stop:
            result = stop.value
            continue
        except Exception as e:
            failed(wrapper, e)
            continue
        gen.close()
        failed(wrapper, _wrapfail(wrapper, point.id, "yielded a second time"))
    return SafeResult(result, tuple(successes), tuple(failures))


# ------------------------------------------------------------------- compiling
def _compile(
    point: Point, impls: tuple[HookImpl, ...], monitors: tuple[tuple[Before | None, After | None], ...]
) -> Callable[..., Any]:
    """The ``__call__`` for exactly these implementations (see the module's docstring)."""
    compiles = _plain_names(point.parameters) and sum(i.wrapper for i in impls) <= _MAX_WRAPPERS
    fast = _generate(point, impls) if compiles else _general(point, impls)
    if not monitors:
        return fast

    def monitored(self: HookCaller, *args: Any, **kwargs: Any) -> Any:
        _check_arguments(point, args, kwargs)
        for before, _ in monitors:
            if before is not None:
                before(point.id, impls, kwargs)
        try:
            result = fast(self, **kwargs)
        except BaseException as e:
            _after(monitors, HookOutcome(exception=e), point, impls, kwargs)
            raise
        _after(monitors, HookOutcome(result), point, impls, kwargs)
        return result

    return monitored


def _plain_names(names: Sequence[str]) -> bool:
    return all(n.isidentifier() and not keyword.iskeyword(n) and not n.startswith(_PREFIX) for n in names)


def _general(point: Point, impls: tuple[HookImpl, ...]) -> Callable[..., Any]:
    def call(self: HookCaller, *args: Any, **kwargs: Any) -> Any:
        _check_arguments(point, args, kwargs)
        _refuse_async(point, impls)
        return _call(point, impls, kwargs)

    return call


def _generate(point: Point, impls: tuple[HookImpl, ...]) -> Callable[..., Any]:
    """Python source for the call, compiled: argument checks, then one call per implementation."""
    params = point.parameters
    namespace: dict[str, Any] = {
        "_h_M": _MISSING,
        "_h_point": point,
        "_h_impls": impls,
        "_h_bad": _bad_call,
        "_h_blame": _blame,
        "_h_refuse": _refuse_async,
        "_h_begin": _begin,
        "_h_send": _send,
        "_h_throw": _throw,
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
        _loop(inner_lines, point, impls, inner)
        exec(compile("\n".join(inner_lines), f"<hook {point.id}>", "exec"), namespace)
    else:
        _loop(lines, point, impls, inner)
    for i, impl in enumerate(impls):
        namespace[f"_h_f{i}"] = impl.function
    exec(compile("\n".join(lines), f"<hook {point.id}>", "exec"), namespace)
    function: Callable[..., Any] = namespace.pop("__call__")  # no cycle through the namespace
    return function


def _arguments(impl: HookImpl) -> str:
    return ", ".join([*impl.positional, *(f"{k}={k}" for k in impl.keywords)])


def _loop(lines: list[str], point: Point, impls: tuple[HookImpl, ...], indices: Sequence[int]) -> None:
    if not point.firstresult:
        lines.append("    _h_r = []")
    for i in indices:
        lines += [
            "    try:",
            f"        _h_v = _h_f{i}({_arguments(impls[i])})",
            "    except BaseException as _h_e:",
            f"        _h_blame(_h_e, _h_impls[{i}], _h_id)",
            "        raise",
            "    if _h_v is not None:",
            "        return _h_v" if point.firstresult else "        _h_r.append(_h_v)",
        ]
    lines.append("    return None" if point.firstresult else "    return _h_r")
