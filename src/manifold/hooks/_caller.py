"""The hook callers of one host, kept compiled for their current implementations, and the relay that feeds them.

When the implementations change (extensions added or removed, an extension or a plugin failed, a
plugin activated, deactivated or unloaded) a caller is only marked stale. The next call loads the
implementations (importing the lazy plugins that have some) and compiles a function for exactly
that list (``manifold.hooks._codegen``). That function becomes the ``__call__`` of the caller's own
class, so calling the caller is one Python call plus the implementations' own calls.

The relay knows nothing of the manager: the host hands it its registry, the extensions of a point,
the state of a plugin, how to load an extension and how to run plugin code under a time limit.

A call under a time limit (the point's ``timeout``, or ``caller.with_timeout(seconds)``) takes the
general loop with each piece of plugin code timed; the generated code is for calls without one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from manifold._log import logger
from manifold.errors import HookCallError, HookError, ManifoldError
from manifold.hooks._codegen import compilable, generate
from manifold.hooks._execution import (
    After,
    Before,
    Limit,
    Monitors,
    SafeResult,
    Steps,
    Timed,
    arun,
    general,
    monitored,
    returned,
    run,
    safe_steps,
    steps,
)
from manifold.hooks._impl import HookImpl, attached, check_arguments, refuse_async
from manifold.registry import ExtensionHandle, Point, Registry
from manifold.states import State

__all__ = ["HookCaller", "HookRelay", "TimedHookCaller"]


_History = list[tuple[Mapping[str, Any], Callable[[Any], object] | None]]
_POINTS: Any = object()  # the time limit of a call is its point's ``timeout``


class HookCaller:
    """Calls the implementations of one hook; get it from ``manager.hook(point_id)``.

    ``caller(**kwargs)`` returns the list of non-None results (``firstresult``: the first one, or
    None); ``call_safe`` logs and skips implementations that raise; ``await acall(**kwargs)``
    awaits ``async`` implementations (``acall_safe``: and skips those that raise);
    ``call_historic`` also calls plugins activated later.
    Each caller is the only instance of a class of its own, whose ``__call__`` is the code
    compiled for the current implementations (or, when stale, this one, which compiles it).
    """

    __slots__ = ("_generation", "_impls", "_point", "_relay", "id")

    def __init__(self, relay: HookRelay, point_id: str) -> None:
        self.id = point_id
        self._relay = relay
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
        """Call every implementation; one that raises an ``Exception`` is logged and skipped. A hook
        with ``async`` implementations raises HookCallError: await ``acall_safe`` instead."""
        result: SafeResult = run(self._steps((), kwargs, safe=True, awaited=False))
        return result

    async def acall_safe(self, **kwargs: Any) -> SafeResult:
        """``call_safe`` awaiting the ``async`` implementations, in order: every implementation runs,
        each one that raises an ``Exception`` is logged and recorded as a failure."""
        result: SafeResult = await arun(self._steps((), kwargs, safe=True, awaited=True))
        return result

    async def acall(self, **kwargs: Any) -> Any:
        """Call every implementation, awaiting the ``async`` ones, in order; returns as a plain call."""
        return await arun(self._steps((), kwargs, safe=False, awaited=True))

    def with_timeout(self, seconds: float | None) -> TimedHookCaller:
        """This hook's calls with a time limit of ``seconds`` on each implementation instead of its
        point's ``timeout`` (None: no limit): ``hook.with_timeout(2)(**kwargs)``, and its
        ``call_safe``, ``acall`` and ``acall_safe``."""
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0):
            raise HookCallError(
                f"hook {self.id}: a time limit is a number of seconds above 0, or None; not {seconds!r}", hook=self.id
            )
        return TimedHookCaller(self, seconds)

    def _steps(
        self, args: tuple[Any, ...], kwargs: Mapping[str, Any], *, safe: bool, awaited: bool, seconds: Any = _POINTS
    ) -> Steps:
        """A checked call in the monitors, the general way; ``seconds``: its time limit, if not the point's."""
        point, impls = self._current()
        check_arguments(point, args, kwargs)
        if not awaited:
            refuse_async(point, impls, "acall_safe" if safe else "acall")
        limit = self._relay.limit(point, point.timeout if seconds is _POINTS else seconds)
        make = safe_steps if safe else steps
        call = make(point.id, impls, kwargs, firstresult=point.firstresult, limit=limit)
        return self._relay.monitored(point.id, impls, kwargs, call)

    def call_historic(self, result_callback: Callable[[Any], object] | None = None, **kwargs: Any) -> None:
        """Call the implementations of the plugins active now (importing nothing) and remember the
        call: every plugin activated later gets it too, right after its activation. Each non-None
        result goes to ``result_callback``; ``firstresult`` does not apply."""
        point, impls = self._current(active=True)
        check_arguments(point, (), kwargs)
        refuse_async(point, impls)
        kwargs = dict(kwargs)
        self._relay.remember(point.id, kwargs, result_callback)
        self._relay.historic(point.id, impls, kwargs, result_callback)

    def __repr__(self) -> str:
        count = "stale" if self._impls is None else f"{len(self._impls)} implementations"
        return f"<hook {self.id}: {count}>"

    # --------------------------------------------------------------- compiling
    def _current(self, *, active: bool = False) -> tuple[Point, tuple[HookImpl, ...]]:
        if active:
            return self._relay.implementations(self.id, active=True)
        point, impls = self._point, self._impls
        if point is None or impls is None:
            point, impls, _ = self._compile()
        return point, impls

    def _compile(self) -> tuple[Point, tuple[HookImpl, ...], Callable[..., Any]]:
        """Load the implementations, compile the call and install it (unless it went stale meanwhile)."""
        for _ in range(3):  # loading may activate plugins, which marks this caller stale: read again
            generation = self._generation
            point, impls = self._relay.implementations(self.id)
            if self._generation == generation:
                break
        function = _compile(point, impls, self._relay.monitors, self._relay.limit(point, point.timeout))
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


class TimedHookCaller:
    """The calls of one hook under a time limit of its own: ``hook.with_timeout(seconds)``.

    Each implementation may run ``seconds`` (each half of a wrapper too); one that overruns is cut
    off: a plain call or ``acall`` raises HookTimeoutError, ``call_safe`` and ``acall_safe`` record it
    as that implementation's failure and go on.
    """

    __slots__ = ("_caller", "timeout")

    def __init__(self, caller: HookCaller, seconds: float | None) -> None:
        self._caller = caller
        self.timeout = seconds

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return run(self._caller._steps(args, kwargs, safe=False, awaited=False, seconds=self.timeout))

    def call_safe(self, **kwargs: Any) -> SafeResult:
        result: SafeResult = run(self._caller._steps((), kwargs, safe=True, awaited=False, seconds=self.timeout))
        return result

    async def acall(self, **kwargs: Any) -> Any:
        return await arun(self._caller._steps((), kwargs, safe=False, awaited=True, seconds=self.timeout))

    async def acall_safe(self, **kwargs: Any) -> SafeResult:
        result: SafeResult = await arun(self._caller._steps((), kwargs, safe=True, awaited=True, seconds=self.timeout))
        return result

    def __repr__(self) -> str:
        return f"<hook {self._caller.id} with timeout {self.timeout}>"


def _compile(point: Point, impls: tuple[HookImpl, ...], monitors: Monitors, limit: Limit | None) -> Callable[..., Any]:
    """The ``__call__`` for exactly these implementations: generated code when it can be written and
    no time limit applies, the general loop otherwise; inside the monitors when there are some."""
    timed = limit is not None or not compilable(point, impls)
    fast = general(point, impls, limit) if timed else generate(point, impls)
    if not monitors:
        return fast

    def call(self: HookCaller, *args: Any, **kwargs: Any) -> Any:
        check_arguments(point, args, kwargs)
        return run(monitored(monitors, point.id, impls, kwargs, returned(fast, self, **kwargs)))

    return call


class HookRelay:
    """The hook callers of one host, the historic calls to replay and the monitors.

    The host gives it its ``registry`` (the points; the relay marks a caller stale when its point
    or its extensions change), ``extensions(point_id)`` (the point's extensions in call order, the
    failed ones left out), ``plugin_state(plugin_id)``, ``load(handle)`` (the extension's object,
    activating its plugin first; raises ManifoldError when it cannot, having logged why) and
    ``timed`` (how to run plugin code under a time limit; see ``_execution.Timed``).
    """

    def __init__(
        self,
        registry: Registry,
        *,
        extensions: Callable[[str], Iterable[ExtensionHandle]],
        plugin_state: Callable[[str], State],
        load: Callable[[ExtensionHandle], Any],
        timed: Timed | None = None,
    ) -> None:
        self._registry = registry
        self._timed = timed
        self._extensions = extensions
        self._plugin_state = plugin_state
        self._load = load
        self._callers: dict[str, HookCaller] = {}
        self._history: dict[str, _History] = {}
        self.monitors: Monitors = ()
        registry.watch(self.invalidate)

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
        point = self._registry.point(point_id)
        if point is None or not point.hook:
            what = "no point of that id is declared" if point is None else "the point is not a hook"
            raise HookError(f"hook {point_id}: {what}", hook=point_id)
        callable_states = ("active",) if active else ("resolved", "loaded", "active")
        impls: list[HookImpl] = []
        for handle in self._extensions(point_id):
            if self._plugin_state(handle.plugin) not in callable_states:
                continue  # deactivated by the host, failed or unavailable
            impl = self._implementation(point, handle)
            if impl is not None:
                impls.append(impl)
        wrappers = [i for i in impls if i.wrapper]
        return point, tuple(wrappers + [i for i in impls if not i.wrapper])

    def _implementation(self, point: Point, handle: ExtensionHandle) -> HookImpl | None:
        try:
            value = self._load(handle)
        except ManifoldError:
            return None  # the host logged it and marked the extension or the plugin failed
        return attached(point, handle, value)

    def limit(self, point: Point, seconds: float | None) -> Limit | None:
        """The time limit of a call of ``point`` (None: no limit; so is an infinite one)."""
        if seconds is None or seconds == math.inf:
            return None
        if self._timed is None:
            raise HookError(f"hook {point.id}: this host runs no hook under a time limit", hook=point.id)
        return Limit(point.id, seconds, self._timed)

    def monitored(self, point_id: str, impls: tuple[HookImpl, ...], kwargs: Mapping[str, Any], call: Steps) -> Steps:
        """``call`` inside the current monitors."""
        return monitored(self.monitors, point_id, impls, kwargs, call)

    # --------------------------------------------------------------- historic calls
    def remember(self, point_id: str, kwargs: Mapping[str, Any], callback: Callable[[Any], object] | None) -> None:
        self._history.setdefault(point_id, []).append((kwargs, callback))

    def historic(
        self,
        point_id: str,
        impls: tuple[HookImpl, ...],
        kwargs: Mapping[str, Any],
        callback: Callable[[Any], object] | None,
    ) -> None:
        """One historic call (under its point's time limit): every result, not only the first, goes to
        ``callback``."""
        point = self._registry.point(point_id)
        limit = None if point is None else self.limit(point, point.timeout)
        call = steps(point_id, impls, kwargs, firstresult=False, limit=limit)
        results = run(self.monitored(point_id, impls, kwargs, call))
        if callback is not None:
            for value in results:
                callback(value)

    def activated(self, plugin_id: str) -> None:
        """A plugin became active: every caller is stale, and the plugin gets the historic calls."""
        self.invalidate()
        for point_id, calls in list(self._history.items()):
            point = self._registry.point(point_id)
            if point is None:
                continue
            for handle in self._extensions(point_id):
                if handle.plugin != plugin_id or handle.wrapper:
                    continue
                impl = self._implementation(point, handle)
                if impl is not None:
                    self._replay(point_id, impl, calls)

    def _replay(self, point_id: str, impl: HookImpl, calls: Sequence[tuple[Mapping[str, Any], Any]]) -> None:
        for kwargs, callback in calls:
            try:
                if impl.is_async:
                    message = f"hook {point_id}: cannot replay a historic call to async {impl}"
                    raise HookCallError(message, hook=point_id)
                self.historic(point_id, (impl,), kwargs, callback)
            except Exception:
                logger.exception("hook %s: replaying a historic call to %s raised", point_id, impl)

    # --------------------------------------------------------------- monitors
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

    def close(self) -> None:
        self._history.clear()
        self.monitors = ()
        self.invalidate()
