"""Options shared by the commands that look at a host's plugins: ``--config``, ``--path``, ``--format``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manifold.manager import Manager


def add_host_options(parser: argparse.ArgumentParser, *, formats: tuple[str, ...] = ("text", "json")) -> None:
    parser.add_argument("--config", metavar="FILE", help="manifold.toml or pyproject.toml (default: found upwards)")
    parser.add_argument(
        "--path",
        action="append",
        metavar="SOURCE",
        help="a plugin source (folder or pkg://package/folder); repeatable; replaces the configured sources",
    )
    parser.add_argument("--format", choices=formats, default=formats[0], help="output format")


def host_manager(args: argparse.Namespace, **overrides: Any) -> Manager:
    """The manager the options describe; a usage error when no source is known."""
    from manifold.config import load_config
    from manifold.errors import UsageError
    from manifold.manager import Manager

    config = load_config(args.config)
    options = {**config.options, **overrides}
    if args.path:
        options["sources"] = list(args.path)
    sources = options.pop("sources", [])
    if not sources:
        raise UsageError("no plugin sources: pass --path, or --config with a file that lists sources")
    return Manager(sources, **options)
