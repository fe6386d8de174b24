"""Options shared by the commands that look at a host's plugins: ``--config``, ``--path``, ``--format``."""

from __future__ import annotations

import argparse


def add_host_options(parser: argparse.ArgumentParser, *, formats: tuple[str, ...] = ("text", "json")) -> None:
    parser.add_argument("--config", metavar="FILE", help="manifold.toml or pyproject.toml (default: found upwards)")
    parser.add_argument(
        "--path",
        action="append",
        metavar="SOURCE",
        help="a plugin source (folder or pkg://package/folder); repeatable; replaces the configured sources",
    )
    parser.add_argument("--format", choices=formats, default=formats[0], help="output format")
