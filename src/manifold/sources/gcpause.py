"""Pausing the cyclic garbage collector while manifold builds many long-lived objects.

Discovery and validation build some hundred objects per plugin (the manifest's tables, its values,
records) and keep them. CPython starts a full collection each time the objects that survived
grow by a quarter, and each one walks every object the process holds, so the time to discover N
plugins grows faster than N: 10,000 plugins took 2.3-3.2 s with the collector on and 1.3-1.4 s
with it paused, on this project's benchmark machine. manifold's own code creates no reference
cycles there, so pausing frees nothing late. Plugin code runs inside a pause only when a batch of
many plugins is activated at once (a host's start: their modules and objects pile up in the same
way, and are as long-lived); a cycle it leaves there is freed by the next full collection. The
host's ``pre_activate`` predicate may run in discovery's pause.

A pause does not stop the collector from counting: the objects built in it are all still in the
youngest generation afterwards, and the first young collections after it walk every one of them
(~30 ms for 1,000 plugins here, falling into whatever runs next: the first plugin code). With
``long_lived=True`` (discovery, whose objects the manager keeps) they are moved to the oldest
generation when the pause ends, as ``gc.freeze()`` then ``gc.unfreeze()`` do, in constant time. They
stay collectable; a full collection still walks them. It is skipped whenever the permanent generation
is not empty (``gc.unfreeze()`` would thaw what is in it): when the host has frozen objects itself, and
always on CPython 3.12, which keeps a few hundred of its own objects there from start-up (immortal
tuples: the built-in types' bases and MROs). On 3.12 the objects a long-lived
pause built therefore stay young, as after a plain pause.

The interpreter's exit walks every object too: its final collections took 60 of the 100 ms a process
that had started 1,000 plugins spent exiting here (stevedore's process, holding fewer objects, about
40). ``freeze_at_exit`` (called by a manager's start) makes the exit freeze every object first, in an
``atexit`` handler: the final collections then skip them, as they skip what a host froze itself. Nothing
changes while the host runs. What it changes at exit: cyclic garbage still uncollected then is not
finalized by those collections (its ``__del__`` methods and weak reference callbacks do not run), which
the language never promises (objects that still exist when the interpreter exits need not be
finalized); ``weakref.finalize`` callbacks, ``atexit`` handlers and module teardown run as before. A
host that wants the final collection registers its own handler calling ``gc.collect()`` after its
first manager started (handlers run last registered first).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["freeze_at_exit", "paused"]


@contextlib.contextmanager
def paused(*, long_lived: bool = False) -> Iterator[None]:
    """The collector off inside the block when it was on; left as it was when it was off. With
    ``long_lived``, what exists when the block ends goes to the oldest generation (see above)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if long_lived and not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()


_at_exit = threading.Lock()
_registered = False


def freeze_at_exit() -> None:
    """Make the interpreter's exit skip walking every object (see above); once per process."""
    global _registered
    with _at_exit:
        if not _registered:
            atexit.register(gc.freeze)
            _registered = True
