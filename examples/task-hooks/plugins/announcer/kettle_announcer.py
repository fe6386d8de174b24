"""One function serves both ways: pluggy's @hookimpl only marks it."""

from kettle_tasks import hookimpl


@hookimpl
def kettle_on(kettle, temperature):
    return f"{kettle} on at {temperature}" if temperature >= 90 else None
