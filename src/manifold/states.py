"""The states a plugin goes through, the reasons it stops on the way, and the snapshot a host reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from manifold._values import field, value_type
from manifold.codes import ReasonCode

if TYPE_CHECKING:
    import datetime

    from manifold.manifest.model import Essentials, Manifest

T = TypeVar("T")

__all__ = ["Deferred", "Later", "PluginInfo", "Reason", "State", "built_on_read"]

State = Literal["discovered", "filtered", "unresolved", "resolved", "loaded", "active", "inactive", "failed"]
"""``discovered`` -> ``filtered`` (gated out) or ``unresolved`` (its dependencies cannot be met) or
``resolved`` -> ``loaded`` (code imported, plugin object built) -> ``active`` -> ``inactive``;
``failed`` when its code raised or hung in one of those steps."""

Phase = Literal["import", "construct", "activate", "deactivate", "timeout", "extension", "settings"]


@value_type
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


class Later(Generic[T]):
    """A value built when first read: what a slot put behind ``built_on_read`` may hold instead of the value."""

    __slots__ = ()

    def get(self) -> T:
        raise NotImplementedError


if TYPE_CHECKING:
    _LaterManifest = Later[Manifest | None]
else:  # the base unsubscripted at run time: a subscript written as text is compiled there (typing.ForwardRef)
    _LaterManifest = Later


class Deferred(_LaterManifest):
    """A plugin's manifest kept as data until it is first read (a warm start's snapshot holds them so):
    ``get()`` builds it once, and returns None when it cannot be built; ``essentials()`` reads only what
    activating the plugin needs (None when it cannot be read)."""

    __slots__ = ()

    def essentials(self) -> Essentials | None:
        raise NotImplementedError


@value_type
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
    """A slot of a frozen dataclass that may hold a ``Later`` value, built when first read (so that a report
    of a warm start builds no manifest); equality, ``repr`` and ``dataclasses`` read it through this."""

    __slots__ = ("_slot",)

    def __init__(self, slot: Any) -> None:
        self._slot = slot

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self._slot.__get__(instance, owner)
        return value.get() if isinstance(value, Later) else value

    def __set__(self, instance: object, value: Any) -> None:
        self._slot.__set__(instance, value)  # the constructor's; the dataclass is frozen to everyone else


def built_on_read(cls: type, name: str) -> None:
    """Put the slot ``name`` of the frozen, slotted dataclass ``cls`` behind a getter that builds the ``Later``
    value it may hold (its type stays the built value's: the constructor is given a ``Later`` only inside
    manifold)."""
    setattr(cls, name, _Built(vars(cls)[name]))


built_on_read(PluginInfo, "manifest")
