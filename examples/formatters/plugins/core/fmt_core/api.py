"""The point's interface, and the start/stop messages every plugin of this example prints."""

from abc import ABC, abstractmethod


class Formatter(ABC):
    name = "?"

    @abstractmethod
    def render(self, record: dict) -> str: ...


class Lifecycle:
    """A plugin object that says when it starts and stops (pyfly's start/stop)."""

    def __init__(self, context):
        self.id = context.id

    def activate(self):
        print(f"  start {self.id}")

    def deactivate(self):
        print(f"  stop  {self.id}")
