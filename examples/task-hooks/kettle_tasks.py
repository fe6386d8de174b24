"""The host's library (pubtools.pluggy's shape): the hookspecs, the one pluggy manager, and task_context()."""

import contextlib

import pluggy

hookspec = pluggy.HookspecMarker("kettle")
hookimpl = pluggy.HookimplMarker("kettle")


class Specs:
    @hookspec
    def task_start(self):
        """A task starts."""

    @hookspec
    def task_stop(self, failed):
        """The task ended; failed says whether it failed."""

    @hookspec
    def kettle_on(self, kettle, temperature):
        """A kettle was switched on; return a message."""

    @hookspec(firstresult=True)
    def get_cert_key_paths(self, server_url):
        """(cert, key) paths for the server: the first answer wins."""


pm = pluggy.PluginManager("kettle")
pm.add_hookspecs(Specs)


@contextlib.contextmanager
def task_context(call):
    """task_start, the block, then always task_stop(failed=...): False on a normal exit, code != 0 for
    SystemExit, True for any other exception (which propagates). ``call(name, **kwargs)`` calls a hook."""
    call("task_start")
    failed = True
    try:
        yield
        failed = False
    except SystemExit as e:
        failed = e.code != 0
        raise
    finally:
        call("task_stop", failed=failed)
