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

from manifold import Manager, StrictModeError

SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "KEY", "CREDENTIAL")


def shown(key, value):
    """What may be printed of one variable: manifold's rule for secret keys."""
    return "••••••" if any(word in key.upper() for word in SECRET_WORDS) else value


async def setup_environment(manager, ctx):
    """Every plugin's variables: one plugin's error or hang costs only its own result.

    With acall_safe and hook time limits, this loop becomes ``await hook.acall_safe(ctx=ctx)``."""
    limit = manager.config.timeout
    results, problems = {}, {}
    for impl in manager.hook("acme.setup-environment").implementations:  # highest priority first
        try:
            value = impl.call({"ctx": ctx})
            if impl.is_async:
                value = await asyncio.wait_for(value, limit)
        except TimeoutError:
            problems[impl.plugin] = f"no answer within {limit:g} s"
        except Exception as e:
            problems[impl.plugin] = f"{type(e).__name__}: {e}"
        else:
            results[impl.plugin] = value or {}
    return results, problems


def main():
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    manager = Manager.from_config(Path(__file__).parent / "manifold.toml")  # + the MANIFOLD_* variables
    manager.add_point("acme.setup-environment", hook=True, parameters=["ctx"])
    with manager:
        try:
            # start() in safe mode raises StrictModeError for a required plugin it did not import
            report = manager.discover() if manager.config.safe_mode else manager.start()
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
            print(f"{plugin}: " + ", ".join(f"{k}={shown(k, v)}" for k, v in env.items()))
        print("ACME_SESSION_TOKEN is set:", "ACME_SESSION_TOKEN" in os.environ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
