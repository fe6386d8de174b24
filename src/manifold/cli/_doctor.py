"""``manifold doctor``: run the pipeline as the host would and say, per plugin, what happened and what to do."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._host import add_host_options
from manifold.cli._output import STATE_COLOURS, paint, print_json, table


def add_doctor_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "doctor",
        help="explain why plugins are or are not loading",
        description=(
            "Discover, gate and resolve as the host would (with --activate, also import and activate every "
            "plugin, in a child process so a crashing plugin cannot take this command down), then show per "
            "plugin what happened, how long it took and what to do. Exit 1 when a required plugin is not "
            "active (resolved, without --activate)."
        ),
        epilog="example: manifold doctor --config manifold.toml --activate",
    )
    add_host_options(parser)
    parser.add_argument("--activate", action="store_true", help="also import and activate every plugin")
    parser.set_defaults(run=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    from manifold.config import load_config
    from manifold.errors import UsageError
    from manifold.tools.doctor import diagnose

    config = load_config(args.config)
    options = {k: v for k, v in config.options.items() if k != "environ"}
    if args.path:
        options["sources"] = list(args.path)
    if not options.get("sources"):
        raise UsageError("no plugin sources: pass --path, or --config with a file that lists sources")
    result = diagnose(options, activate=args.activate, environ=config.options.get("environ"))
    if args.format == "json":
        print_json(result)
        return 0 if result["ok"] else 1
    phases = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in result["phases"].items())
    print(f"sources: {', '.join(options['sources'])}")
    print(f"phases:  {phases}")
    if result["environment"]:
        print("environment: " + ", ".join(f"{k}={v}" for k, v in result["environment"].items()))
    rows = []
    for plugin in result["plugins"]:
        seconds = plugin["seconds"]
        reason = plugin["reason"]
        rows.append(
            [
                plugin["id"],
                paint(plugin["state"], STATE_COLOURS.get(plugin["state"], "dim")),
                f"{seconds * 1000:.1f} ms" if seconds is not None else "-",
                f"{reason['code']}: {reason['message']}" if reason else "",
            ]
        )
    print(table(["ID", "STATE", "TIME", "REASON"], rows) if rows else "no plugins")
    advice = [(p["id"], p["advice"]) for p in result["plugins"] if p["advice"]]
    if advice:
        print("\nwhat to do:")
        for plugin_id, text in advice:
            print(f"  {plugin_id}: {text}")
    if result["child"]:
        print(f"\nthe child process exited with code {result['child']['exit']}:\n{result['child']['stderr']}")
    for d in result["diagnostics"]:
        print(f"{d['file']}:{d['line'] or ''}:{d['column'] or ''}: {d['severity']}[{d['code']}]: {d['message']}")
    missing = {
        pid: state for pid, state in result["required"].items() if state != ("active" if args.activate else "resolved")
    }
    if missing:
        print("\nrequired plugins not ready: " + ", ".join(f"{k} ({v})" for k, v in missing.items()))
        return 1
    return 0
