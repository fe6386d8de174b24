"""Typed extension points (pyfly's pattern): plugins started and stopped one at a time, states after each step.

Run: python examples/formatters/host.py
"""

from pathlib import Path

from manifold import ExtensionError, Manager

RECORD = {"id": 7, "name": "kettle"}


def states(manager, title):
    print(f"{title}: " + ", ".join(f"{info.id.removeprefix('fmt.')}={info.state}" for info in manager))


def formats(manager):
    """Every formatter, highest priority first; one of the wrong type is reported and skipped."""
    for handle in manager.extensions("fmt.formatters"):
        try:
            formatter = handle.load()
        except ExtensionError as e:
            print(f"  rejected: {e}")
            continue
        print(f"  {formatter.name} (priority {handle.priority}): {formatter.render(RECORD)}")


with Manager([Path(__file__).parent / "plugins"]) as manager:
    states(manager, "discovered")
    print("start fmt.table (its dependencies first):")
    manager.activate("fmt.table")
    states(manager, "after start")
    print("stop fmt.json (its dependents first):")
    manager.deactivate("fmt.json")
    states(manager, "after stop")
    try:  # a stopped plugin stays stopped until the host starts it again
        next(h for h in manager.extensions("fmt.formatters") if h.plugin == "fmt.json").load()
    except ExtensionError as e:
        print(f"  load its formatter: {e}")
    print("start all (in load order; the active ones stay):")
    manager.activate_all()
    states(manager, "after start all")
    print(f"  fmt.xml: {manager.inspect('fmt.xml').reason.message}")
    print("formats:")
    formats(manager)
    print("remove fmt.csv (stopped, then unloaded; its extensions go, the others stay):")
    manager.remove("fmt.csv")
    print("  formatters:", ", ".join(handle.plugin for handle in manager.extensions("fmt.formatters")))
    print("stop all (the last started first, dependents before their dependencies):")
    manager.deactivate_all()
    states(manager, "after stop all")
    print("close (every plugin object unloaded):")
