"""Secrets stay secret at run time: one manager's secret values masked in reasons, errors and log records.

The values and how they are matched are ``manifold._secrets``'s; this module applies them to what a
manager produces: reasons (message, traceback and root cause), the words of errors raised to the host,
and every log record of a logger under ``manifold`` (child loggers of a plugin's logger too, and the
records' tracebacks and stacks).
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from manifold._secrets import MASK, Secrets, is_secret, secrets_in
from manifold._secrets import redact as _by_key
from manifold._values import replace
from manifold.errors import printable
from manifold.states import Reason

if TYPE_CHECKING:
    import logging

__all__ = [
    "MASK",
    "LogRedaction",
    "RedactingFilter",
    "Secrets",
    "is_secret",
    "redact",
    "scrub_reason",
    "scrub_record",
    "secrets_in",
    "traceback_of",
]

_ROOT = "manifold"


def redact(value: Any, *, secrets: Iterable[Any] | str = ()) -> Any:
    """``value`` (a string, or JSON-like data) as it may be shown, for a host's own values: every value
    under a secret key masked, and each of ``secrets`` and of those values masked wherever it
    appears in a string, in any of the forms it prints as (the rules of ``Manager.redact``, which
    also knows the manager's settings). Mappings come back as dicts, sequences as lists."""
    given = [secrets] if isinstance(secrets, str) else list(secrets)
    known = Secrets([*secrets_in(value), *given])
    return known.scrub_data(_by_key(value))


def traceback_of(error: BaseException) -> str:
    import traceback  # only when something failed

    return "".join(traceback.format_exception(error))


def scrub_reason(reason: Reason, secrets: Secrets) -> Reason:
    """``reason`` without the secrets in its words, its traceback and its root cause's; the exception
    object (``error``) is kept for the host, and only what is formatted from it is scrubbed."""
    if not secrets:
        return reason
    cause = scrub_reason(reason.cause, secrets) if reason.cause is not None else None
    return replace(
        reason, message=secrets.scrub(reason.message), traceback=secrets.scrub(reason.traceback), cause=cause
    )


def scrub_record(record: logging.LogRecord, secrets: Secrets) -> None:
    """Mask ``secrets`` in a log record: its message (formatted now), its traceback (kept as text in
    ``exc_text``; ``exc_info`` is cleared, as the exception carries the secret), its stack and the
    text fields given with ``extra=`` (those a record has by the time it is filtered)."""
    if not secrets:
        return
    record.msg, record.args = secrets.scrub(_message(record)), None
    if record.exc_info:
        import logging  # a record exists: so does logging

        text = record.exc_text or logging.Formatter().formatException(record.exc_info)
        record.exc_info, record.exc_text = None, secrets.scrub(text)
    elif record.exc_text:
        record.exc_text = secrets.scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = secrets.scrub(record.stack_info)
    standard = _standard()
    for name, value in vars(record).items():
        if name not in standard and isinstance(value, str):  # fields given with extra=...
            setattr(record, name, secrets.scrub(value))


@functools.cache
def _standard() -> frozenset[str]:
    """The attributes every log record has (the others came with ``extra=``)."""
    import logging

    return frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # arguments that do not fit the format (or do not print): logging reports it, masked
        return f"{printable(record.msg)} (arguments: {', '.join(printable(a) for a in _args(record.args))})"


def _args(args: Any) -> list[Any]:
    if isinstance(args, tuple):
        return list(args)
    return [] if args is None else [args]


class RedactingFilter:
    """Masks the secrets in the records of the logger it is attached to (a filter as ``logging`` takes
    one: an object with a ``filter`` method, so that defining it imports no ``logging``)."""

    __slots__ = ("secrets",)

    def __init__(self, secrets: Secrets) -> None:
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record, self.secrets)
        return True


class Filterer(Protocol):
    """What a filter is put on: a ``logging.Logger``, or manifold's own logger before it is made."""

    @property
    def filters(self) -> list[Any]: ...
    def addFilter(self, given: Any) -> None: ...  # logging's names
    def removeFilter(self, given: Any) -> None: ...


F = TypeVar("F", bound=Filterer)


class LogRedaction:
    """One manager's secrets masked in the records of every logger under ``manifold``; off again on
    ``close`` (or when the manager is collected without being closed).

    A logger's filters see only the records logged on it, not those of its child loggers, so the
    records are masked when they are made (a record factory that covers every logger under
    ``manifold``, put in place when the manager first has a secret: before, there is nothing to mask),
    and the filter on the loggers the manager hands out stays as a second guard.
    """

    def __init__(self, owner: object, secrets: Secrets) -> None:
        self.filter = RedactingFilter(secrets)
        self._watched: list[Filterer] = []
        _ACTIVE[id(self.filter)] = secrets
        secrets.when_any(_install_factory)
        self._unwatch = weakref.finalize(owner, _remove_filter, self.filter, self._watched)

    @property
    def secrets(self) -> Secrets:
        return self.filter.secrets

    def watch(self, target: F) -> F:
        """Mask the secrets in ``target``'s records, also those added later."""
        if self.filter not in target.filters:
            target.addFilter(self.filter)
            self._watched.append(target)
        return target

    def close(self) -> None:
        self._unwatch()


def _remove_filter(redactor: RedactingFilter, watched: list[Filterer]) -> None:
    _ACTIVE.pop(id(redactor), None)
    for target in watched:
        target.removeFilter(redactor)
    watched.clear()


# The secrets of every open manager, by its filter: the record factory masks them in the records of
# loggers under ``manifold``. Logging's factory is one per process; so is this table.
_ACTIVE: dict[int, Secrets] = {}
_INSTALL = threading.Lock()


def _masking_factory(previous: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = previous(*args, **kwargs)
        name = record.name
        if _ACTIVE and (name == _ROOT or name.startswith(_ROOT + ".")):
            for secrets in list(_ACTIVE.values()):
                scrub_record(record, secrets)
        return record

    make.masks_secrets = True  # type: ignore[attr-defined]
    return make


def _install_factory() -> None:
    """Put the masking record factory in front of the current one, unless it is there already."""
    import logging  # when there is a secret to mask: a host without secrets need not import it

    with _INSTALL:
        current = logging.getLogRecordFactory()
        if not getattr(current, "masks_secrets", False):
            logging.setLogRecordFactory(_masking_factory(current))
