"""The point's interface, and the start/stop/unload messages every plugin of this example prints."""

from abc import ABC, abstractmethod


class Formatter(ABC):
    name = "?"

    @abstractmethod
    def render(self, record: dict) -> str: ...


class Lifecycle:
    """A plugin object that says when it starts, stops and is unloaded (pyfly's start/stop/unload)."""

    def __init__(self, context):
        self.id = context.id

    def activate(self):
        print(f"  start {self.id}")

    def deactivate(self):
        print(f"  stop  {self.id}")

    def teardown(self):
        print(f"  unload {self.id}")
