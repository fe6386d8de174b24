"""examples/env-setup: start-up environment plugins (Prefect's pattern), run as its README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "env-setup"

SKIPPED_NEXTGEN = (
    "skipped acme.nextgen: incompatible-api: acme.nextgen requires plugin API >=1.0, but this host provides 0.1\n"
)
API_WARNING = "WARNING manifold: acme.nextgen requires plugin API >=1.0, but this host provides 0.1; skipping it\n"
IDENTITY = "acme.identity: ACME_ACCESS_KEY_ID=••••••, ACME_SECRET_ACCESS_KEY=••••••, ACME_SESSION_TOKEN=••••••\n"
PROXY = "acme.proxy: HTTPS_PROXY=http://proxy.acme.internal:3128, NO_PROXY=api.acme.internal\n"
TELEMETRY = "acme.telemetry: OTEL_SERVICE_NAME=acme-3.2.0, OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317\n"
CUT_OFF = (  # acall_safe logs the implementation it skipped
    "ERROR manifold: hook acme.setup-environment: acme.vault (acme_vault:setup_environment) "
    "did not finish within {} s and was cut off; skipped\n"
)


def run(*command: str, cwd: Path | None = None, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFOLD_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, env={**env, **variables}, cwd=cwd, timeout=60
    )


def test_every_plugin_sets_its_variables_the_hanging_one_is_cut_off_and_secrets_are_masked(
    readme_output: Callable[[Path, str], list[str]],
) -> None:
    done = run(str(EXAMPLE / "host.py"))
    assert (done.returncode, done.stderr) == (0, API_WARNING + CUT_OFF.format(1))
    assert done.stdout == (
        SKIPPED_NEXTGEN
        + "failed acme.vault: no answer within 1 s\n"  # acall_safe under the global timeout (timeout = 1)
        + IDENTITY  # priority 10: first; a method of the (lazy) plugin object, which got them on activation
        + PROXY  # async
        + TELEMETRY
        + "ACME_SESSION_TOKEN is set: True\n"
    )
    assert "LONG-LIVED" not in done.stdout + done.stderr
    # the README shows this run (stdout and stderr interleaved as a terminal shows them)
    shown = readme_output(EXAMPLE, "python examples/env-setup/host.py")
    assert sorted(shown) == sorted((done.stdout + done.stderr).splitlines())


def test_operator_deny_list_from_the_environment() -> None:
    done = run(str(EXAMPLE / "host.py"), MANIFOLD_DENY="acme.telemetry", MANIFOLD_TIMEOUT="0.2")
    assert done.returncode == 0
    assert "skipped acme.telemetry: denied: acme.telemetry is in the deny list\n" in done.stdout
    assert TELEMETRY not in done.stdout
    assert PROXY in done.stdout


def test_operator_allow_list_from_the_environment() -> None:
    done = run(str(EXAMPLE / "host.py"), MANIFOLD_ALLOW="acme.identity,acme.proxy")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "skipped acme.nextgen: denied: acme.nextgen is not in the allow list\n"
        "skipped acme.telemetry: denied: acme.telemetry is not in the allow list\n"
        "skipped acme.vault: denied: acme.vault is not in the allow list\n"
        + IDENTITY
        + PROXY
        + "ACME_SESSION_TOKEN is set: True\n"
    )


def test_strict_mode_stops_the_host_when_the_required_plugin_is_denied() -> None:
    done = run(str(EXAMPLE / "host.py"), MANIFOLD_DENY="acme.identity")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == API_WARNING + (
        "acme: cannot start: required plugins are not active: "
        "acme.identity: denied: acme.identity is in the deny list\n"
    )


def test_without_strict_mode_the_others_still_run() -> None:
    done = run(str(EXAMPLE / "host.py"), MANIFOLD_DENY="acme.identity", MANIFOLD_STRICT="0", MANIFOLD_TIMEOUT="0.2")
    assert (done.returncode, done.stderr) == (0, API_WARNING + CUT_OFF.format(0.2))
    assert "failed acme.vault: no answer within 0.2 s\n" in done.stdout
    assert done.stdout.endswith(PROXY + TELEMETRY + "ACME_SESSION_TOKEN is set: False\n")


def test_safe_mode_runs_no_plugin_code() -> None:
    done = run(str(EXAMPLE / "host.py"), MANIFOLD_SAFE_MODE="1")
    assert (done.returncode, done.stderr) == (0, API_WARNING)
    assert done.stdout == SKIPPED_NEXTGEN + "safe mode: 4 plugins resolved, no plugin code ran\n"


def test_the_host_point_in_manifold_toml_is_known_to_validate() -> None:
    done = run("-m", "manifold", "validate", "plugins", cwd=EXAMPLE)  # manifold.toml found in the folder
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "0 errors, 0 warnings; 5 valid manifests\n")


@pytest.mark.parametrize("command", [("validate", "plugins"), ("inspect", "acme.identity")])
def test_manifold_commands_on_the_example(command: tuple[str, ...]) -> None:
    done = run("-m", "manifold", *command, cwd=EXAMPLE)
    assert done.returncode == 0, done.stderr
    if command[0] == "inspect":  # the provider's long-lived key, from manifold.toml, masked
        assert '  settings:     {"role": "deployer", "source-access-key": "••••••", "ttl": 900}\n' in done.stdout
    assert "LONG-LIVED" not in done.stdout + done.stderr


def test_manifold_doctor_activates_every_plugin_in_a_child_process() -> None:
    done = run("-m", "manifold", "doctor", "--activate", cwd=EXAMPLE)
    assert done.returncode == 0, done.stderr
    states = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines() if line.startswith("acme.")}
    assert states == {
        "acme.identity": "active",
        "acme.nextgen": "filtered",
        "acme.proxy": "active",
        "acme.telemetry": "active",
        "acme.vault": "active",
    }
    # what acme.identity put in the environment when it was activated, masked by the names
    assert [line for line in done.stdout.splitlines() if line.startswith("plugin environment:")] == [
        "plugin environment: acme.identity: ACME_ACCESS_KEY_ID=••••••, ACME_SECRET_ACCESS_KEY=••••••, "
        "ACME_SESSION_TOKEN=••••••"
    ]
    assert "LONG-LIVED" not in done.stdout + done.stderr
    assert "ASIA" not in done.stdout + done.stderr  # the provider's key ids start so
