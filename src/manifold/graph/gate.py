"""Gating: decide from its manifest and the host's configuration whether a plugin may load, and why not."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from manifold._log import logger
from manifold.config import HostConfig
from manifold.manifest.model import Manifest, parse_version, satisfies
from manifold.manifest.settings import check_values
from manifold.states import Reason

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["gate"]


def gate(
    manifest: Manifest,
    host: HostConfig,
    installed: Callable[[str], str | None],
    warnings: list[Reason] | None = None,
) -> Reason | None:
    """The reason ``manifest``'s plugin may not load under ``host``, or None when it may.

    ``installed(name)`` returns the version of an installed distribution, or None. A mismatch the
    host made a warning (``api_severity``/``app_severity``) is logged and appended to ``warnings``.
    An empty ``enabled`` or ``allow`` list restricts nothing, as a missing one.
    """
    pid = manifest.id
    if pid in host.disabled:
        return Reason("disabled", f"{pid} is in the disabled list")
    if host.enabled and pid not in host.enabled:
        return Reason("not-enabled", f"{pid} is not in the enabled list")
    if pid in host.deny:
        return Reason("denied", f"{pid} is in the deny list")
    if host.allow and pid not in host.allow:
        return Reason("denied", f"{pid} is not in the allow list")
    for check in (_target, _api, _app, _python, _markers):
        reason = check(manifest, host)
        if reason is None:
            continue
        severity = _SEVERITY.get(reason.code)
        if severity is None or getattr(host, severity) != "warning":
            return reason
        warning = Reason(reason.code, f"{reason.message}; loading it anyway ({severity} is 'warning')")
        logger.warning("%s", warning.message)
        if warnings is not None:
            warnings.append(warning)
    reason = _requirements(manifest, installed)
    if reason is None:
        reason = _settings(manifest, host)
    if reason is None and host.pre_activate is not None:
        reason = _pre_activate(manifest, host.pre_activate)
    return reason


def _target(manifest: Manifest, host: HostConfig) -> Reason | None:
    if manifest.target is None:
        if host.require_target:
            return Reason("missing-target", f"{manifest.id} names no target; this host ({host.app}) requires one")
        return None
    if host.app is not None and manifest.target != host.app:
        return Reason("wrong-target", f"{manifest.id} is made for {manifest.target!r}, not for {host.app!r}")
    return None


_SEVERITY = {"incompatible-api": "api_severity", "incompatible-app": "app_severity"}
"""The reasons a host may make warnings, and the option that does."""


def _api(manifest: Manifest, host: HostConfig) -> Reason | None:
    spec = manifest.requires_api
    if spec is None or host.api_version is None or satisfies(spec, host.api_version):
        return None
    written = manifest.requires_api_text or str(spec)
    message = f"{manifest.id} requires plugin API {written}, but this host provides {host.api_version}"
    return Reason("incompatible-api", message)


def _app(manifest: Manifest, host: HostConfig) -> Reason | None:
    spec = manifest.requires_app
    if spec is None or host.app_version is None or satisfies(spec, host.app_version):
        return None
    written = manifest.requires_app_text or str(spec)
    return Reason(
        "incompatible-app",
        f"{manifest.id} requires {host.app or 'the application'} {written}, not {host.app_version}",
    )


def _python(manifest: Manifest, host: HostConfig) -> Reason | None:
    spec = manifest.requires_python
    if spec is None:
        return None
    import platform  # only for a plugin that limits the Python version: platform compiles a dozen regexes

    running = platform.python_version()
    if satisfies(spec, parse_version(running)):
        return None
    written = manifest.requires_python_text or str(spec)
    return Reason("incompatible-python", f"{manifest.id} requires Python {written}, not {running}")


def _markers(manifest: Manifest, host: HostConfig) -> Reason | None:
    if manifest.markers is None or manifest.markers.evaluate():
        return None
    return Reason("markers", f"{manifest.id}'s markers are false here: {manifest.markers}")


def _requirements(manifest: Manifest, installed: Callable[[str], str | None]) -> Reason | None:
    missing = [str(r) for r in manifest.requires if not _satisfied(r, installed)]
    if not missing:
        return None
    return Reason("missing-requirement", f"{manifest.id} needs {', '.join(missing)} installed")


def _satisfied(requirement: Requirement, installed: Callable[[str], str | None]) -> bool:
    if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
        return True
    version = installed(requirement.name)
    if version is None:
        return False
    return not requirement.specifier or requirement.specifier.contains(version, prereleases=True)


def _settings(manifest: Manifest, host: HostConfig) -> Reason | None:
    given = host.settings.get(manifest.id)
    if given is None or manifest.settings_schema is None:
        return None
    _, problems = check_values(manifest.settings_schema, given, (), "schema")
    if not problems:
        return None
    words = "; ".join(p.message for p in problems)
    return Reason("invalid-settings", f"settings of {manifest.id}: {words}")


def _pre_activate(manifest: Manifest, callback: Callable[[Manifest], bool]) -> Reason | None:
    try:
        accepted = callback(manifest)
    except Exception as e:
        return Reason("pre-activate-rejected", f"the host's pre_activate raised {type(e).__name__}: {e}", error=e)
    if accepted:
        return None
    return Reason("pre-activate-rejected", f"the host's pre_activate rejected {manifest.id}")
