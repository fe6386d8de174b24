"""Secrets stay secret: values whose key names a secret are shown as ``••••••`` in output and logs."""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Mapping
from typing import Any

__all__ = ["MASK", "LogRedaction", "RedactingFilter", "is_secret", "redact", "scrub", "secrets_in"]

MASK = "••••••"
_SECRET = re.compile(r"SECRET|TOKEN|PASSWORD|KEY|CREDENTIAL", re.IGNORECASE)


def is_secret(key: object) -> bool:
    """True for a key such as ``api-key``, ``DB_PASSWORD`` or ``authToken`` (any case)."""
    return isinstance(key, str) and _SECRET.search(key) is not None


def redact(value: Any) -> Any:
    """A copy of ``value`` with every value under a secret key replaced by the mask, recursively."""
    if isinstance(value, Mapping):
        return {k: MASK if is_secret(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def secrets_in(value: Any) -> set[str]:
    """The string forms of every value under a secret key in ``value`` (to scrub them from text)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for k, v in value.items():
            if is_secret(k) and v not in (None, ""):
                found.add(str(v))
            else:
                found |= secrets_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            found |= secrets_in(v)
    return found


def scrub(text: str, secrets: set[str]) -> str:
    """``text`` with each secret value in it replaced by the mask."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks the given secret values in the records of the logger it is attached to."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = scrub(record.getMessage(), self.secrets)
            record.args = None
        return True


class LogRedaction:
    """One manager's redacting filter on the loggers it watches; taken off again on ``close`` (or
    when the manager is collected without being closed)."""

    def __init__(self, owner: object, secrets: set[str]) -> None:
        self.filter = RedactingFilter({v for v in secrets if len(v) >= 3})
        self._watched: set[str] = set()
        self._unwatch = weakref.finalize(owner, _remove_filter, self.filter, self._watched)

    @property
    def secrets(self) -> set[str]:
        return self.filter.secrets

    def watch(self, target: logging.Logger, *, always: bool = False) -> logging.Logger:
        """Mask the secrets in ``target``'s records (only when there are secrets, unless ``always``)."""
        if (always or self.filter.secrets) and self.filter not in target.filters:
            target.addFilter(self.filter)
            self._watched.add(target.name)
        return target

    def close(self) -> None:
        self._unwatch()


def _remove_filter(redactor: RedactingFilter, names: set[str]) -> None:
    for name in names:
        logging.getLogger(name).removeFilter(redactor)
    names.clear()
