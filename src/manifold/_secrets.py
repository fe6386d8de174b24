"""Secret values: which keys name one, and the one way they are masked, in data and in any text that prints them.

A value is secret when its key contains ``SECRET``, ``TOKEN``, ``PASSWORD``, ``KEY`` or ``CREDENTIAL`` (any
case). ``redact`` masks such values in data by their key; ``Secrets`` masks the values themselves wherever they
appear in text, after normalisation: a list or table contributes each of its leaves and its renderings, a string
also its escaped forms (``repr``, ``json.dumps``), a number its ``str`` and ``repr``. Parts shorter than
``MIN_LENGTH`` characters are not matched in text (they would mask every "1" or "ab").
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "MIN_LENGTH",
    "Secrets",
    "is_secret",
    "redact",
    "redact_host_settings",
    "renderings",
    "secrets_in",
    "secrets_of_host_settings",
]

MASK = "••••••"
MIN_LENGTH = 3
"""The shortest text matched as a secret."""


@functools.cache
def _secret() -> re.Pattern[str]:
    """What makes a key secret (compiled on first use: a host without settings never needs it)."""
    return re.compile(r"SECRET|TOKEN|PASSWORD|KEY|CREDENTIAL", re.IGNORECASE)


def is_secret(key: object) -> bool:
    """True for a key such as ``api-key``, ``DB_PASSWORD`` or ``authToken`` (any case)."""
    return isinstance(key, str) and _secret().search(key) is not None


def redact(value: Any) -> Any:
    """A copy of ``value`` with every value under a secret key replaced by the mask, recursively."""
    if isinstance(value, Mapping):
        return {k: MASK if is_secret(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def secrets_in(value: Any) -> list[Any]:
    """Every value under a secret key in ``value``, whatever its shape (a string, a list, a table...)."""
    found: list[Any] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if is_secret(k):
                found.append(v)
            else:
                found += secrets_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            found += secrets_in(v)
    return found


def redact_host_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The host's settings (plugin id -> its settings) with the values under secret keys masked: the
    top-level keys are plugin ids, never judged secret (a plugin named ``acme.credentials`` keeps its
    ordinary settings readable)."""
    return {plugin_id: redact(values) for plugin_id, values in settings.items()}


def secrets_of_host_settings(settings: Mapping[str, Any]) -> list[Any]:
    """Every value under a secret key in the host's settings (plugin id -> its settings)."""
    return [found for values in settings.values() for found in secrets_in(values)]


def renderings(value: Any) -> set[str]:
    """Every text ``value`` (or a leaf of it) can be printed as, at least ``MIN_LENGTH`` long."""
    forms: set[str] = set()
    _render(value, forms)
    return {form for form in forms if len(form) >= MIN_LENGTH}


def _render(value: Any, forms: set[str]) -> None:
    import json  # only when a host has secrets

    if isinstance(value, str):
        forms.update(
            (
                value,
                repr(value)[1:-1],
                ascii(value)[1:-1],
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
            )
        )
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        forms.update((str(value), repr(value)))
    elif isinstance(value, Mapping):
        for item in value.values():
            _render(item, forms)
        plain = dict(value)
        forms.update((repr(plain), _json(plain), _json(plain, ascii_only=False)))
    elif isinstance(value, list | tuple):
        for item in value:
            _render(item, forms)
        forms.update((repr(list(value)), repr(tuple(value)), _json(list(value)), _json(list(value), ascii_only=False)))
    else:
        forms.add(str(value))


def _json(value: Any, *, ascii_only: bool = True) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=ascii_only, default=str)
    except (TypeError, ValueError):  # a key JSON cannot take, a circular value
        return ""


class Secrets:
    """The secret values one host knows, matched in text after normalisation; grows with ``add``.

    Falsy while it holds nothing long enough to match.
    """

    __slots__ = ("__weakref__", "_adding", "_first", "_needles", "_pattern")

    def __init__(self, values: Iterable[Any] = ()) -> None:
        self._needles: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._adding = threading.Lock()
        self._first: list[Callable[[], object]] = []  # called when the first secret comes
        self.add(*values)

    def add(self, *values: Any) -> None:
        """Mask ``values`` (each of any shape, see ``renderings``) from now on."""
        forms: set[str] = set()
        for value in values:
            forms |= renderings(value)
        with self._adding:
            if forms <= self._needles:
                return
            needles = self._needles | forms
            ordered = sorted(needles, key=lambda n: (-len(n), n))  # the longest first where several start together
            pattern = re.compile("|".join(re.escape(n) for n in ordered))
            self._needles, self._pattern = needles, pattern  # a reader sees the old set or the new one
            first, self._first = self._first, []
            for callback in first:  # under the lock: no add returns before they ran (none logs unmasked)
                callback()

    def when_any(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` once there is a secret to mask: now if there is one, else on the first ``add``
        (which it must not call)."""
        with self._adding:
            if self._pattern is None:
                self._first.append(callback)
                return
        callback()

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __len__(self) -> int:
        return len(self._needles)

    def __repr__(self) -> str:
        return f"<Secrets: {len(self._needles)} forms>"

    def scrub(self, text: str) -> str:
        """``text`` with every form of every secret in it replaced by the mask."""
        pattern = self._pattern
        return text if pattern is None else pattern.sub(MASK, text)

    def scrub_data(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` (or a string) with every string (and key) in it scrubbed,
        and every number that is a secret masked; lists for tuples."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {self.scrub_data(k): self.scrub_data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_data(v) for v in value]
        if isinstance(value, int | float) and not isinstance(value, bool) and self.scrub(repr(value)) != repr(value):
            return MASK  # a number that is (or holds) a secret
        return value
