"""One hook call over its implementations, the general way: the one loop, the wrapper protocol and the monitor wrapper.

A call is written once, as a generator (``steps``): the wrappers run to their ``yield``, outermost
first; the other implementations are called in order (``firstresult``: until one answers); then the
wrappers resume, innermost first, with the result or the exception, each free to change it. The
awaitable of an ``async`` implementation is yielded and the generator resumed with its result, so
``run`` drives a plain call and ``arun`` awaits one: the order, ``firstresult`` and the wrappers
are the same code. ``safe`` records each implementation that raises and goes on (``call_safe``).
``limit`` runs each piece of plugin code under a time limit (``Limit``): the host's timed worker
for plain code, ``asyncio.timeout`` for what an ``async`` implementation returns.
Compiled callers (``manifold.hooks._codegen``) do the same in straight-line code, with this
module's wrapper protocol (``begin``, ``send``, ``throw``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from functools import partial
from typing import Any

from manifold._log import logger
from manifold._values import value_type
from manifold.errors import HookTimeoutError
from manifold.hooks._impl import HookImpl, check_arguments, refuse_async
from manifold.registry import ExtensionHandle, Point

__all__ = [
    "After",
    "Before",
    "HookFailure",
    "HookOutcome",
    "Limit",
    "Monitors",
    "SafeResult",
    "Steps",
    "Timed",
    "arun",
    "begin",
    "blame",
    "general",
    "monitored",
    "returned",
    "run",
    "safe_steps",
    "send",
    "steps",
    "throw",
]


@value_type
class HookOutcome:
    """What a hook call gave a monitor's ``after``: its ``result``, or the ``exception`` it raised."""

    result: Any = None
    exception: BaseException | None = None

    def get(self) -> Any:
        """The result, or raise the exception."""
        if self.exception is not None:
            raise self.exception
        return self.result


@value_type
class HookFailure:
    """An implementation that raised during ``call_safe`` or ``acall_safe``: its plugin, extension and exception."""

    plugin: str
    error: BaseException
    handle: ExtensionHandle | None = None


@value_type
class SafeResult:
    """What ``call_safe`` and ``acall_safe`` return: ``result`` is what a plain call would have returned without the
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
Monitors = tuple[tuple[Before | None, After | None], ...]

Timed = Callable[[Callable[[], Any], float, Callable[[], BaseException]], Any]
"""``timed(function, seconds, overrun)``: the host runs ``function()`` on a worker thread and returns
its result or raises its exception; when it runs longer than ``seconds`` it raises ``overrun()``
instead (the thread is left to finish on its own)."""


class Limit:
    """The time limit of one call: every piece of plugin code in it may run ``seconds``."""

    __slots__ = ("point_id", "seconds", "timed")

    def __init__(self, point_id: str, seconds: float, timed: Timed) -> None:
        self.point_id = point_id
        self.seconds = seconds
        self.timed = timed

    def __call__(self, impl: HookImpl, function: Callable[[], Any]) -> Any:
        """``function()``, plugin code of ``impl``, under the limit."""
        return self.timed(function, self.seconds, partial(self.overrun, impl))

    async def awaited(self, impl: HookImpl, awaitable: Awaitable[Any]) -> Any:
        """What ``impl``, an ``async`` implementation, returned, awaited under the limit (cancelled after it)."""
        import asyncio

        scope = asyncio.timeout(self.seconds)
        try:
            async with scope:
                return await awaitable
        except TimeoutError:
            if scope.expired():
                raise self.overrun(impl) from None
            raise

    def overrun(self, impl: HookImpl) -> HookTimeoutError:
        return HookTimeoutError(
            f"hook {self.point_id}: {impl} did not finish within {self.seconds:g} s and was cut off",
            hook=self.point_id,
            plugin=impl.plugin,
            seconds=self.seconds,
        )


Steps = Generator[Any, Any, Any]
"""A call in progress: yields the awaitable of each ``async`` implementation, returns the result."""
Teardown = Generator[None, Any, Any]


# ------------------------------------------------------------------- the wrapper protocol
def blame(error: BaseException, impl: HookImpl, point_id: str) -> None:
    """Note on ``error`` which implementation raised it (once per hook, however far it travels)."""
    prefix = f"hook {point_id}: raised by "
    if not any(isinstance(n, str) and n.startswith(prefix) for n in getattr(error, "__notes__", ())):
        error.add_note(f"{prefix}{impl}")


def _wrapfail(impl: HookImpl, point_id: str, what: str) -> RuntimeError:
    error = RuntimeError(f"hook {point_id}: the wrapper {impl} {what}; a wrapper must yield exactly once")
    blame(error, impl, point_id)
    return error


def begin(gen: Teardown, impl: HookImpl, point_id: str, *, note: bool = True) -> Teardown:
    """Run a wrapper to its ``yield`` (``note``: blame it on an exception it raises)."""
    try:
        next(gen)
    except StopIteration:
        raise _wrapfail(impl, point_id, "did not yield") from None
    except BaseException as e:
        if note:
            blame(e, impl, point_id)
        raise
    return gen


def send(gen: Teardown, result: Any, impl: HookImpl, point_id: str, *, note: bool = True) -> Any:
    """Resume a wrapper with the result; what it returns is the new result."""
    try:
        gen.send(result)
    except StopIteration as stop:
        return stop.value
    except BaseException as e:
        if note:
            blame(e, impl, point_id)
        raise
    gen.close()
    raise _wrapfail(impl, point_id, "yielded a second time")


def throw(gen: Teardown, error: BaseException, impl: HookImpl, point_id: str) -> Any:
    """Raise the exception at a wrapper's ``yield``; it may return a result instead, or raise."""
    try:
        gen.throw(error)
    except StopIteration as stop:
        return stop.value
    except BaseException as e:
        if e is not error:
            blame(e, impl, point_id)
        raise
    gen.close()
    raise _wrapfail(impl, point_id, "yielded a second time")


# ------------------------------------------------------------------- the one loop
class _Safe:
    """What ``call_safe`` collects: the value of each implementation that returned, and each failure."""

    __slots__ = ("failures", "point_id", "successes")

    def __init__(self, point_id: str) -> None:
        self.point_id = point_id
        self.successes: list[tuple[str, Any]] = []
        self.failures: list[HookFailure] = []

    def failed(self, impl: HookImpl, error: Exception) -> None:
        if isinstance(error, HookTimeoutError) and error.plugin == impl.plugin and error.hook == self.point_id:
            logger.error("%s; skipped", error)
            self.failures.append(HookFailure(impl.plugin, error, impl.handle))
            return
        logger.error(
            "hook %s: %s raised %s: %s; skipped",
            self.point_id,
            impl,
            type(error).__name__,
            error,
            exc_info=error,
        )
        self.failures.append(HookFailure(impl.plugin, error, impl.handle))


def steps(
    point_id: str,
    impls: Sequence[HookImpl],
    kwargs: Mapping[str, Any],
    *,
    firstresult: bool,
    safe: _Safe | None = None,
    limit: Limit | None = None,
) -> Steps:
    """The call of ``impls`` (wrappers among them) with ``kwargs``; see the module's docstring."""
    teardowns: list[tuple[HookImpl, Teardown]] = []
    note = safe is None
    try:
        for impl in impls:  # the wrappers, outermost first
            if impl.wrapper:
                try:
                    gen = impl.call(kwargs)
                    if limit is None:
                        teardowns.append((impl, begin(gen, impl, point_id, note=note)))
                    else:
                        teardowns.append((impl, limit(impl, partial(begin, gen, impl, point_id, note=note))))
                except Exception as e:
                    if safe is None:
                        raise
                    safe.failed(impl, e)
        results = []
        for impl in impls:
            if impl.wrapper:
                continue
            try:
                if limit is None:
                    value = impl.call(kwargs)
                    if impl.is_async:
                        value = yield value
                elif impl.is_async:
                    value = yield limit.awaited(impl, impl.call(kwargs))
                else:
                    value = limit(impl, partial(impl.call, kwargs))
            except BaseException as e:
                if safe is None or not isinstance(e, Exception):
                    blame(e, impl, point_id)
                    raise
                safe.failed(impl, e)
                continue
            if safe is not None:
                safe.successes.append((impl.plugin, value))
            if value is not None:
                results.append(value)
                if firstresult:
                    break
        result: Any = (results[0] if results else None) if firstresult else results
        error: BaseException | None = None
    except BaseException as e:
        result, error = None, e
    for impl, gen in reversed(teardowns):  # the wrappers, innermost first
        try:
            if error is None:
                if limit is None:
                    result = send(gen, result, impl, point_id, note=note)
                else:
                    result = limit(impl, partial(send, gen, result, impl, point_id, note=note))
            elif limit is None:
                result, error = throw(gen, error, impl, point_id), None
            else:
                result, error = limit(impl, partial(throw, gen, error, impl, point_id)), None
        except BaseException as e:
            if safe is None or not isinstance(e, Exception):
                error = e
            else:
                safe.failed(impl, e)  # the result stays as it was
    if error is not None:
        raise error
    return result


def safe_steps(
    point_id: str,
    impls: Sequence[HookImpl],
    kwargs: Mapping[str, Any],
    *,
    firstresult: bool,
    limit: Limit | None = None,
) -> Steps:
    """The call that ``call_safe`` makes: an implementation that raises an ``Exception`` is logged
    and skipped; returns a SafeResult."""
    safe = _Safe(point_id)
    result = yield from steps(point_id, impls, kwargs, firstresult=firstresult, safe=safe, limit=limit)
    return SafeResult(result, tuple(safe.successes), tuple(safe.failures))


def returned(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Steps:
    """A plain call as steps (so that a compiled call goes through the monitor wrapper too)."""
    return function(*args, **kwargs)
    yield  # never reached: it makes this a generator


def run(call: Steps) -> Any:
    """The result of a call that awaits nothing (``refuse_async`` made sure of it)."""
    try:
        awaitable = call.send(None)
    except StopIteration as done:
        return done.value
    call.close()
    raise AssertionError(f"a plain hook call met an async implementation: {awaitable!r}")


async def arun(call: Steps) -> Any:
    """The result of a call, awaiting what its ``async`` implementations return, in order."""
    try:
        awaitable = call.send(None)
        while True:
            try:
                value = await awaitable
            except BaseException as e:
                awaitable = call.throw(e)
            else:
                awaitable = call.send(value)
    except StopIteration as done:
        return done.value


def general(point: Point, impls: tuple[HookImpl, ...], limit: Limit | None = None) -> Callable[..., Any]:
    """A caller's ``__call__`` the general way: what generated code does, and what it falls back to
    (and what runs under a time limit)."""

    def call(self: object, *args: Any, **kwargs: Any) -> Any:
        check_arguments(point, args, kwargs)
        refuse_async(point, impls)
        return run(steps(point.id, impls, kwargs, firstresult=point.firstresult, limit=limit))

    return call


# ------------------------------------------------------------------- monitors
def monitored(
    monitors: Monitors, point_id: str, impls: tuple[HookImpl, ...], kwargs: Mapping[str, Any], call: Steps
) -> Steps:
    """``call`` between the monitors' ``before`` and ``after`` (as is when there are none)."""
    return _monitoring(monitors, point_id, impls, kwargs, call) if monitors else call


def _monitoring(
    monitors: Monitors, point_id: str, impls: tuple[HookImpl, ...], kwargs: Mapping[str, Any], call: Steps
) -> Steps:
    for before, _ in monitors:
        if before is not None:
            before(point_id, impls, kwargs)
    try:
        result = yield from call
    except BaseException as e:
        _after(monitors, HookOutcome(exception=e), point_id, impls, kwargs)
        raise
    _after(monitors, HookOutcome(result), point_id, impls, kwargs)
    return result


def _after(
    monitors: Monitors, outcome: HookOutcome, point_id: str, impls: tuple[HookImpl, ...], kwargs: Mapping[str, Any]
) -> None:
    for _, after in monitors:
        if after is not None:
            after(outcome, point_id, impls, kwargs)
