"""``manifold doctor``: run the pipeline as the host would and say, per plugin, what happened and what to do."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._host import add_host_options, given_sources
from manifold.cli._output import STATE_COLOURS, Cell, count_footer, print_json, print_table, say
from manifold.cli._progress import progress_line


def add_doctor_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "doctor",
        help="explain why plugins are or are not loading",
        description=(
            "Discover, gate and resolve as the host would (with --activate, also import and activate every "
            "plugin, in a child process so a crashing plugin cannot take this command down), then show per "
            "plugin what happened, how long it took and what to do. Exit 1 when a required plugin is not "
            "active (resolved, without --activate). With --activate, a run longer than half a second shows "
            "its progress on stderr when that is a terminal (not with TERM=dumb), erased when it ends."
        ),
        epilog="example: manifold doctor --config manifold.toml --activate",
    )
    add_host_options(parser)
    parser.add_argument("--activate", action="store_true", help="also import and activate every plugin")
    parser.set_defaults(run=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    from manifold.manifest.diagnostics import Diagnostic
    from manifold.tools.describe import row_reason_text
    from manifold.tools.doctor import diagnose, failed, not_ready
    from manifold.tools.host import host_options

    options = host_options(args.config, given_sources(args))
    environ = options.pop("environ", None)
    with progress_line("activating", "plugin") as progress:
        result = diagnose(options, activate=args.activate, environ=environ, progress=progress)
    if args.format == "json":
        print_json(result)
        return 0 if result["ok"] else 1
    phases = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in result["phases"].items())
    say(f"sources: {', '.join(options['sources'])}", lines=False)
    say(f"phases:  {phases}", lines=False)
    if result["environment"]:
        say("environment: " + ", ".join(f"{k}={v}" for k, v in result["environment"].items()), lines=False)
    rows: list[list[Cell]] = []
    for plugin in result["plugins"]:
        seconds = plugin["seconds"]
        rows.append(
            [
                plugin["id"],
                (plugin["state"], STATE_COLOURS.get(plugin["state"], "dim")),
                f"{seconds * 1000:.1f} ms" if seconds is not None else "-",
                row_reason_text(plugin),
            ]
        )
    print_table(["ID", "STATE", "TIME", "REASON"], rows, empty="no plugins")
    for plugin_id, variables in result["plugin_environment"].items():
        say(f"plugin environment: {plugin_id}: " + ", ".join(f"{k}={v}" for k, v in variables.items()), lines=False)
    if rows:
        say(count_footer([plugin["state"] for plugin in result["plugins"]]), err=True)
    advice = [(p["id"], p["advice"]) for p in result["plugins"] if p["advice"]]
    if advice:
        say("\nwhat to do:")
        for plugin_id, text in advice:
            say(f"  {plugin_id}: {text}", lines=False)
    if result["child"]:
        say(f"\nthe child process exited with code {result['child']['exit']}:\n{result['child']['stderr']}")
    for data in result["diagnostics"]:
        say(Diagnostic.from_dict(data).format(), lines=False)
    missing = not_ready(result, activate=args.activate)
    if missing:
        say("\nrequired plugins not ready: " + ", ".join(f"{k} ({v})" for k, v in missing.items()))
    broken = failed(result)
    if broken:
        say("\nfailed: " + ", ".join(broken))
    return 1 if missing or broken else 0
