"""As written for pubtools: task_start registers a stateful handler into the pluggy manager, task_stop removes it."""

from kettle_tasks import hookimpl, pm


class KettleCounter:
    def __init__(self):
        self.count = 0

    @hookimpl
    def kettle_on(self, kettle):
        self.count += 1
        return f"kettle #{self.count}: {kettle}"


@hookimpl
def task_start():
    pm.register(KettleCounter(), name="kettle-counter")


@hookimpl
def task_stop(failed):
    handler = pm.unregister(name="kettle-counter")
    print(f"task stopped: {handler.count} kettles, failed={failed}")
