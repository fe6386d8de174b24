"""pubtools-style event hooks, called natively or through the pluggy bridge: the same answers either way.

Run: python examples/task-hooks/host.py native   (or: pluggy)
"""

import contextlib
import sys
from pathlib import Path

from kettle_tasks import pm, task_context

from manifold import Manager


def native(manager):
    """The hookspecs are manifold hooks, declared in manifold.toml ([[host-points]])."""
    return lambda name, **kwargs: manager.hook(f"kettle.{name}")(**kwargs)


def bridged(manager):
    """The host keeps its pluggy manager; manifest plugins are registered into it."""
    from manifold.pluggy import register

    register(manager, pm)  # instead of pm.load_setuptools_entrypoints("kettle")
    return lambda name, **kwargs: getattr(pm.hook, name)(**kwargs)


def main(mode):
    with Manager.from_config(Path(__file__).parent / "manifold.toml") as manager:
        call = {"native": native, "pluggy": bridged}[mode](manager)
        with task_context(call):
            print("k1:", call("kettle_on", kettle="k1", temperature=95))
            print("k2:", call("kettle_on", kettle="k2", temperature=20))
            print("corp:", call("get_cert_key_paths", server_url="https://corp.example"))
            print("pub:", call("get_cert_key_paths", server_url="https://pub.example"))
        print("between tasks:", call("kettle_on", kettle="k0", temperature=99))
        with contextlib.suppress(RuntimeError), task_context(call):
            print("k3:", call("kettle_on", kettle="k3", temperature=100))
            raise RuntimeError("the kettle boiled dry")
        for code in (0, 2):
            with contextlib.suppress(SystemExit), task_context(call):
                raise SystemExit(code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "native"))
