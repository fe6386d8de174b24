"""Start-up environment plugins (Prefect's pattern): each plugin returns environment variables for the process.

Run: python examples/env-setup/host.py   (MANIFOLD_DENY, MANIFOLD_ALLOW, MANIFOLD_SAFE_MODE, MANIFOLD_STRICT and
MANIFOLD_TIMEOUT steer it, as manifold.toml's keys do)
"""

import asyncio
import logging
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from manifold import HookTimeoutError, Manager, StrictModeError, redact


async def setup_environment(manager, ctx):
    """Every plugin's variables, each plugin under the time limit: one plugin's error or hang costs only its own."""
    hook = manager.hook("acme.setup-environment").with_timeout(manager.config.timeout)  # declared in manifold.toml
    outcome = await hook.acall_safe(ctx=ctx)  # sync and async implementations, highest priority first
    problems = {f.plugin: problem(f.error) for f in outcome.failures}
    return {plugin: env or {} for plugin, env in outcome.successes}, problems


def problem(error):
    if isinstance(error, HookTimeoutError):
        return f"no answer within {error.seconds:g} s"
    return f"{type(error).__name__}: {error}"


def main():
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    with Manager.from_config(Path(__file__).parent / "manifold.toml") as manager:  # + the MANIFOLD_* variables
        try:
            report = manager.start()  # strict: the required plugin must be healthy (resolved, or active)
        except StrictModeError as e:
            print(f"acme: cannot start: {e}", file=sys.stderr)
            return 1
        for info in report.in_state("filtered", "unresolved", "failed"):
            print(f"skipped {info.id}: {info.reason.code}: {info.reason.message}")
        if manager.config.safe_mode:
            print(f"safe mode: {len(report.order)} plugins resolved, no plugin code ran")
            return 0
        ctx = SimpleNamespace(app_version=str(manager.config.app_version), api_url="https://api.acme.internal/v1")
        results, problems = asyncio.run(setup_environment(manager, ctx))
        for plugin, problem in problems.items():
            print(f"failed {plugin}: {problem}")
        for plugin, env in results.items():
            os.environ.update(env)
            print(f"{plugin}: " + ", ".join(f"{k}={v}" for k, v in redact(env).items()))
        print("ACME_SESSION_TOKEN is set:", "ACME_SESSION_TOKEN" in os.environ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
