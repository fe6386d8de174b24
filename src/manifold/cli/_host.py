"""Options shared by the commands that look at a host's plugins: ``PATH...``, ``--config``, ``--path``, ``--format``."""

from __future__ import annotations

import argparse


def add_host_options(parser: argparse.ArgumentParser, *, formats: tuple[str, ...] = ("text", "json")) -> None:
    parser.add_argument(
        "sources",
        nargs="*",
        metavar="PATH",
        help="plugin sources (folders, archives or pkg://package/folder), as validate takes them; "
        "they replace the configured sources",
    )
    parser.add_argument("--config", metavar="FILE", help="manifold.toml or pyproject.toml (default: found upwards)")
    parser.add_argument(
        "--path",
        action="append",
        metavar="SOURCE",
        help="a plugin source, as PATH; repeatable",
    )
    parser.add_argument("--format", choices=formats, default=formats[0], help="output format")


def given_sources(args: argparse.Namespace) -> list[str]:
    """The sources given on the command line, as ``PATH`` arguments or ``--path`` options."""
    return [*(args.path or ()), *args.sources]
