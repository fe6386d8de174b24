"""Hooks: extension points whose contributions are callables, called together with keyword arguments.

A hook is a point declared with ``hook = true`` and its ``parameters``. The manager gives one
``HookCaller`` per hook (``manager.hook(point_id)``); calling it calls every implementation,
highest priority first, ties in load order, with keyword arguments only, and returns the non-None
results (or the first one for ``firstresult`` hooks). Extensions with ``wrapper = true`` are
generator functions around the others, as pluggy's ``wrapper=True``. An implementation takes any
subset of the hook's parameters; it is checked and built once, when its extension loads.

``_impl`` builds one implementation and checks a call's arguments, ``_execution`` runs a call the
general way (one loop, one wrapper protocol, one monitor wrapper), ``_codegen`` writes the fast
path for one list of implementations, and ``_caller`` keeps the callers compiled.

Internal: the public names are those of ``manifold``; nothing here is a stable API.
"""

from manifold.errors import HookCallError, HookError
from manifold.hooks._caller import HookCaller, HookRelay
from manifold.hooks._execution import After, Before, HookFailure, HookOutcome, SafeResult
from manifold.hooks._impl import HookImpl, attach_implementation

__all__ = [
    "After",
    "Before",
    "HookCallError",
    "HookCaller",
    "HookError",
    "HookFailure",
    "HookImpl",
    "HookOutcome",
    "HookRelay",
    "SafeResult",
    "attach_implementation",
]
