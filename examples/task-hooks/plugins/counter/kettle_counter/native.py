"""Natively: the plugin object holds the task's handler from task_start to task_stop (no registration at run time)."""

from kettle_counter.pluggy_hooks import KettleCounter


class Counter:
    """The plugin's class: its methods are the hook implementations, bound to the one object the manager built."""

    def __init__(self):
        self.handler = None

    def task_start(self):
        self.handler = KettleCounter()

    def kettle_on(self, kettle):
        return None if self.handler is None else self.handler.kettle_on(kettle)

    def task_stop(self, failed):
        print(f"task stopped: {self.handler.count} kettles, failed={failed}")
        self.handler = None
