"""The host a command looks at: its configuration and environment, with the sources given in place of its own."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from manifold.config import HostFile, load_config
from manifold.errors import UsageError
from manifold.sources.locations import PACKAGE_SCHEME

if TYPE_CHECKING:
    from manifold.manager import Manager

__all__ = ["host_manager", "host_options"]


def host_options(config: str | os.PathLike[str] | None, paths: Sequence[str] | None) -> dict[str, Any]:
    """The Manager options of ``config`` (or the configuration found upwards) and the environment,
    ``paths`` replacing its sources when given; UsageError when no source is known at all."""
    return _options(load_config(config), paths)


def _options(host: HostFile, paths: Sequence[str] | None) -> dict[str, Any]:
    options = dict(host.options)
    if paths:
        missing = [path for path in paths if not path.startswith(PACKAGE_SCHEME) and not os.path.exists(path)]
        if missing:
            raise UsageError(f"{missing[0]}: no such file or folder")
        options["sources"] = list(paths)
    if not options.get("sources"):
        raise UsageError("no plugin sources: pass --path, or --config with a file that lists sources")
    return options


def host_manager(config: str | os.PathLike[str] | None, paths: Sequence[str] | None, **overrides: Any) -> Manager:
    """The manager of ``host_options(config, paths)``, with ``overrides`` (e.g. ``safe_mode=True``) on top,
    and the configuration's ``[[host-points]]`` declared."""
    from manifold.manager import Manager

    host = load_config(config)
    options = {**_options(host, paths), "log_unavailable": False, **overrides}  # the command shows the report
    manager = Manager(options.pop("sources"), **options)
    manager.add_points(host.host_points)
    return manager
