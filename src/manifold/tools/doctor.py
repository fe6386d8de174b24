"""The doctor: run the host's pipeline, activation in a child process, and say what happened and what to do.

Run as ``python -m manifold.tools.doctor`` it is that child: it reads the options as JSON on stdin (never
on its command line, which every user of the machine can read), builds the manager from them, activates
every plugin in load order, and prints one JSON document on stdout.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from manifold._secrets import MASK, Secrets, is_secret, redact, redact_host_settings, secrets_of_host_settings
from manifold.config import process_environment
from manifold.manager import Manager
from manifold.tools.describe import advice, plugin_row

__all__ = ["diagnose", "failed", "not_ready"]

_CHILD_TIMEOUT_PAD = 30.0
_PROGRESS = "manifold-doctor: activating "
_TOTAL = "manifold-doctor: plugins to activate: "


def _run(options: Mapping[str, Any], *, activate: bool) -> dict[str, Any]:
    options = dict(options)
    sources = options.pop("sources", [])
    manager = Manager(sources, **options)
    report = manager.discover()
    seconds: dict[str, float] = {}
    environment: dict[str, dict[str, str]] = {}
    if activate:
        print(f"{_TOTAL}{len(report.order)}", file=sys.stderr, flush=True)
        for plugin_id in report.order:
            print(f"{_PROGRESS}{plugin_id}", file=sys.stderr, flush=True)
            before = dict(process_environment())  # the child's own: plugins change it as they activate
            began = time.perf_counter()
            manager.activate(plugin_id)
            seconds[plugin_id] = time.perf_counter() - began
            changed = _changed(before, process_environment())
            if changed:
                environment[plugin_id] = changed
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
        "plugin_environment": {pid: redact(changed) for pid, changed in environment.items()},
    }
    if activate:
        manager.close()
    # a secret a plugin put in the environment is masked wherever it shows up (a reason, a traceback)
    secrets = Secrets(v for changed in environment.values() for k, v in changed.items() if is_secret(k))
    shown: dict[str, Any] = secrets.scrub_data(result)
    return shown


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``after`` that ``before`` lacks or holds with another value, sorted by name."""
    return {k: v for k, v in sorted(after.items()) if before.get(k) != v}


def diagnose(
    options: Mapping[str, Any],
    *,
    activate: bool = False,
    environ: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """What the host would get with these Manager ``options`` (JSON-able values only).

    With ``activate``, plugin code runs in a child process, so a plugin that crashes or exits the
    interpreter is reported (``child`` holds its exit code and last output) instead of taking the
    caller down. Every secret of the settings and of the ``MANIFOLD_*`` variables is masked in the
    result, the child's output included. ``plugin_environment`` holds, per plugin, the environment
    variables it set or changed in the child while it was activated (empty without ``activate``), the
    values of those whose names say secret masked. ``progress``, when given, is called (in this
    thread) with ``(done, total)`` plugins activated, as the child reports them, the last call
    ``(total, total)`` when the child finishes; never without ``activate``.
    """
    env = dict(process_environment() if environ is None else environ)
    public = {k: v for k, v in options.items() if k != "environ"}
    secrets = Secrets(secrets_of_host_settings(options.get("settings", {})))
    secrets.add(*(v for k, v in env.items() if k.startswith("MANIFOLD_") and is_secret(k)))
    result: dict[str, Any]
    if not activate:
        result = _run({**public, "environ": env, "safe_mode": True}, activate=False)
        result["child"] = None
    else:
        result = _child(public, env, secrets, progress)
    required = list(options.get("required", []))
    states = {p["id"]: p["state"] for p in result["plugins"]}
    result["required"] = {pid: states.get(pid, "not-found") for pid in required}
    result["ok"] = not not_ready(result, activate=activate) and not failed(result)
    result["settings"] = redact_host_settings(options.get("settings", {}))
    result["environment"] = {
        k: (MASK if is_secret(k) else v) for k, v in sorted(env.items()) if k.startswith("MANIFOLD_")
    }
    shown: dict[str, Any] = secrets.scrub_data(result)
    return shown


def failed(result: Mapping[str, Any]) -> list[str]:
    """The plugins of a ``diagnose`` result whose code raised or hung (state ``failed``), and a child that died."""
    ids = [p["id"] for p in result["plugins"] if p["state"] == "failed"]
    return ids if result.get("child") is None else [*ids, "(the child process)"]


def not_ready(result: Mapping[str, Any], *, activate: bool) -> dict[str, str]:
    """The required plugins of a ``diagnose`` result that are not ready (active with ``activate``,
    else resolved), with the state each is in."""
    wanted = "active" if activate else "resolved"
    return {pid: state for pid, state in result["required"].items() if state != wanted}


def _child(
    options: Mapping[str, Any], env: Mapping[str, str], secrets: Secrets, progress: Callable[[int, int], None] | None
) -> dict[str, Any]:
    timeout = options.get("timeout", 20.0) or 60.0
    limit = timeout * max(1, len(options.get("sources", []))) * 50 + _CHILD_TIMEOUT_PAD
    output: list[str] = []
    expired: list[bool] = []
    with subprocess.Popen(
        [sys.executable, "-m", "manifold.tools.doctor"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=dict(env),
    ) as process:
        options_pipe, result_pipe, log_pipe = process.stdin, process.stdout, process.stderr
        assert options_pipe is not None
        assert result_pipe is not None
        assert log_pipe is not None

        def feed() -> None:  # the options on stdin (a command line is visible to every user: ps), then stdout
            with contextlib.suppress(OSError):  # a child that ended before it read them
                options_pipe.write(json.dumps(dict(options)))
                options_pipe.close()
            output.append(result_pipe.read())

        def expire() -> None:
            expired.append(True)
            process.kill()

        feeder, watchdog = threading.Thread(target=feed, daemon=True), threading.Timer(limit, expire)
        feeder.start()
        watchdog.start()
        try:  # stderr is read here while the feeder reads stdout, so that neither pipe fills up unread
            log, total = _follow(log_pipe, progress)
            feeder.join()
            code = process.wait()
        finally:
            watchdog.cancel()
            watchdog.join()  # no thread left behind: manifold forks only in a process running none (sources.fanout)
            if process.poll() is None:
                process.kill()
    if progress is not None and total and code == 0 and not expired:
        progress(total, total)
    stdout, stderr = "".join(output), secrets.scrub(log)
    if expired:
        stdout, stderr, code = "", f"the child process did not finish within {limit:g} s", -1
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


def _follow(lines: Iterable[str], progress: Callable[[int, int], None] | None) -> tuple[str, int]:
    """The child's stderr, all of it, and how many plugins it said it would activate; ``progress`` is
    called as it starts each one (the one before is done)."""
    seen: list[str] = []
    total = started = 0
    for line in lines:
        seen.append(line)
        if line.startswith(_TOTAL) and line[len(_TOTAL) :].strip().isdigit():
            total = int(line[len(_TOTAL) :])
        elif progress is not None and line.startswith(_PROGRESS) and started < total:
            progress(started, total)
            started += 1
    return "".join(seen), total


def _main() -> int:
    options = json.loads(sys.stdin.read())
    options["environ"] = process_environment()
    result = _run(options, activate=True)
    sys.stdout.flush()
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
