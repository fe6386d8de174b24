"""The states a plugin goes through, the reasons it stops on the way, and the snapshot a host reads."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from manifold.codes import ReasonCode

if TYPE_CHECKING:
    from manifold.manifest.model import Manifest

__all__ = ["Deferred", "PluginInfo", "Reason", "State"]

State = Literal["discovered", "filtered", "unresolved", "resolved", "loaded", "active", "inactive", "failed"]
"""``discovered`` -> ``filtered`` (gated out) or ``unresolved`` (its dependencies cannot be met) or
``resolved`` -> ``loaded`` (code imported, plugin object built) -> ``active`` -> ``inactive``;
``failed`` when its code raised or hung in one of those steps."""

Phase = Literal["import", "construct", "activate", "deactivate", "timeout", "extension", "settings"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a plugin is not (or no longer) available: a stable code and words for a person.

    ``chain`` names the plugins a ``dependency-unavailable`` reason goes through, from this
    plugin's dependency to the plugin at the root of the problem, and ``cause`` is the root
    plugin's own reason (a ``cycle`` reason's ``chain`` is the cycle); ``phase`` and ``error`` say
    where a ``failed`` plugin's code raised, and ``traceback`` holds the formatted traceback.
    """

    code: ReasonCode
    message: str
    chain: tuple[str, ...] = ()
    phase: Phase | None = None
    error: BaseException | None = field(default=None, compare=False, repr=False)
    traceback: str = field(default="", compare=False)
    cause: Reason | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Deferred:
    """A plugin's manifest kept as data until it is first read (a warm start's snapshot holds them so):
    ``get()`` builds it once, and returns None when it cannot be built."""

    __slots__ = ()

    def get(self) -> Manifest | None:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What a host can read about one plugin at one moment.

    ``warnings`` are what gating let pass: a ``requires-api`` or ``requires-app`` mismatch under
    ``api_severity``/``app_severity = "warning"`` (the plugin loads; the reason stays here).
    """

    id: str
    state: State
    reason: Reason | None
    source: str | None
    manifest: Manifest | None
    discovered_at: datetime.datetime | None
    activated_at: datetime.datetime | None
    changed_at: datetime.datetime | None
    warnings: tuple[Reason, ...] = ()

    @property
    def version(self) -> str | None:
        return str(self.manifest.version) if self.manifest is not None else None

    @property
    def file(self) -> str | None:
        return self.manifest.file if self.manifest is not None else None


class _Built:
    """``PluginInfo.manifest``: what the slot holds, a ``Deferred`` manifest built on first read (so that a
    report of a warm start builds none); equality, ``repr`` and ``dataclasses`` read it through this."""

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, info: PluginInfo | None, owner: type | None = None) -> Any:
        if info is None:
            return self
        value = self._slot.__get__(info, owner)
        return value.get() if isinstance(value, Deferred) else value

    def __set__(self, info: PluginInfo, value: Manifest | Deferred | None) -> None:
        self._slot.__set__(info, value)  # the constructor's; the dataclass is frozen to everyone else


setattr(PluginInfo, "manifest", _Built(vars(PluginInfo)["manifest"]))  # noqa: B010  # the slot, behind a getter
