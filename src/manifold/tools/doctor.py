"""The doctor: run the host's pipeline, activation in a child process, and say what happened and what to do.

Run as ``python -m manifold.tools.doctor OPTIONS_JSON`` it is that child: it builds the manager from the
options, activates every plugin in load order, and prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from manifold.config import process_environment
from manifold.lifecycle.redact import MASK, is_secret, redact
from manifold.manager import Manager
from manifold.tools.describe import advice, plugin_row

__all__ = ["diagnose", "not_ready"]

_CHILD_TIMEOUT_PAD = 30.0
_PROGRESS = "manifold-doctor: activating "


def _run(options: Mapping[str, Any], *, activate: bool) -> dict[str, Any]:
    options = dict(options)
    sources = options.pop("sources", [])
    manager = Manager(sources, **options)
    report = manager.discover()
    seconds: dict[str, float] = {}
    if activate:
        for plugin_id in report.order:
            print(f"{_PROGRESS}{plugin_id}", file=sys.stderr, flush=True)
            began = time.perf_counter()
            manager.activate(plugin_id)
            seconds[plugin_id] = time.perf_counter() - began
    report = manager.report
    plugins = []
    for info in report.plugins.values():
        row = plugin_row(info)
        row["seconds"] = seconds.get(info.id)
        row["advice"] = advice(info.reason)
        if info.reason is not None and info.reason.traceback:
            row["traceback"] = info.reason.traceback
        plugins.append(row)
    result = {
        "phases": dict(manager.timings),
        "order": list(report.order),
        "plugins": plugins,
        "diagnostics": [d.to_dict() for d in report.diagnostics],
    }
    if activate:
        manager.close()
    return result


def diagnose(
    options: Mapping[str, Any], *, activate: bool = False, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What the host would get with these Manager ``options`` (JSON-able values only).

    With ``activate``, plugin code runs in a child process, so a plugin that crashes or exits the
    interpreter is reported (``child`` holds its exit code and last output) instead of taking the
    caller down.
    """
    env = dict(process_environment() if environ is None else environ)
    public = {k: v for k, v in options.items() if k != "environ"}
    result: dict[str, Any]
    if not activate:
        result = _run({**public, "environ": env, "safe_mode": True}, activate=False)
        result["child"] = None
    else:
        result = _child(public, env)
    required = list(options.get("required", []))
    states = {p["id"]: p["state"] for p in result["plugins"]}
    result["required"] = {pid: states.get(pid, "not-found") for pid in required}
    result["ok"] = not not_ready(result, activate=activate)
    result["settings"] = redact(options.get("settings", {}))
    result["environment"] = {
        k: (MASK if is_secret(k) else v) for k, v in sorted(env.items()) if k.startswith("MANIFOLD_")
    }
    return result


def not_ready(result: Mapping[str, Any], *, activate: bool) -> dict[str, str]:
    """The required plugins of a ``diagnose`` result that are not ready (active with ``activate``,
    else resolved), with the state each is in."""
    wanted = "active" if activate else "resolved"
    return {pid: state for pid, state in result["required"].items() if state != wanted}


def _child(options: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    timeout = options.get("timeout", 20.0) or 60.0
    limit = timeout * max(1, len(options.get("sources", []))) * 50 + _CHILD_TIMEOUT_PAD
    try:
        done = subprocess.run(
            [sys.executable, "-m", "manifold.tools.doctor", json.dumps(dict(options))],
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=limit,
            check=False,
        )
        stdout, stderr, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as e:
        stdout, stderr, code = "", f"the child process did not finish within {limit:g} s: {e}", -1
    try:
        result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
        result["child"] = {"exit": code, "stderr": stderr[-2000:]} if code != 0 else None
        return result
    except (ValueError, IndexError):
        # The child died before it could report: say so, with what discovery alone finds,
        # and blame the plugin it was activating.
        fallback = _run({**options, "environ": dict(env), "safe_mode": True}, activate=False)
        fallback["child"] = {"exit": code, "stderr": stderr[-2000:]}
        started = [line[len(_PROGRESS) :] for line in stderr.splitlines() if line.startswith(_PROGRESS)]
        for row in fallback["plugins"]:
            if started and row["id"] == started[-1]:
                row["state"] = "failed"
                row["reason"] = {
                    "code": "failed",
                    "message": f"{row['id']} ended the process (exit code {code}) while it was activated",
                    "phase": "activate",
                }
                row["advice"] = "it crashed the interpreter: run it under a debugger, or disable it"
        return fallback


def _main(argv: list[str]) -> int:
    options = json.loads(argv[0])
    options["environ"] = process_environment()
    result = _run(options, activate=True)
    sys.stdout.flush()
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
