"""manifold doctor --activate: the environment variables plugins set while they were activated, secrets masked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from manifold.tools.doctor import diagnose

MASK = "••••••"


def write_plugin(root: Path, plugin_id: str, code: str) -> None:
    package = plugin_id.replace(".", "_")
    (root / plugin_id / package).mkdir(parents=True)
    (root / plugin_id / "plugin.toml").write_text(
        f'[plugin]\nid = "{plugin_id}"\nversion = "1.0"\npackages = ["{package}"]\nclass = "{package}:Plugin"\n'
    )
    (root / plugin_id / package / "__init__.py").write_text(code)


@pytest.fixture
def host(tmp_path: Path) -> Path:
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "creds",
        "import os\n"
        "class Plugin:\n"
        "    def activate(self):\n"
        "        os.environ['ACME_SESSION_TOKEN'] = 'tok-7f3a9c21e'\n"
        "        os.environ['ACME_API_KEY'] = 'key-99d0c4b1'\n"
        "        os.environ['ACME_REGION'] = 'eu-west-1'\n",
    )
    # on import, and a change to a variable the process already had
    write_plugin(
        plugins, "proxy", "import os\nos.environ['DOCTOR_TEST_PROXY'] = 'http://new:3128'\nclass Plugin: ...\n"
    )
    write_plugin(plugins, "quiet", "class Plugin:\n    def activate(self):\n        pass\n")
    # a plugin that fails and puts another plugin's secret into its reason
    write_plugin(
        plugins,
        "zleaky",
        "import os\nclass Plugin:\n    def activate(self):\n"
        "        raise RuntimeError('cannot use ' + os.environ['ACME_SESSION_TOKEN'])\n",
    )
    (tmp_path / "manifold.toml").write_text('sources = ["plugins"]\n')
    return tmp_path


def doctor(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFOLD_")}
    env |= {"NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "DOCTOR_TEST_PROXY": "http://old:3128"}
    return subprocess.run(
        [sys.executable, "-m", "manifold", "doctor", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def test_doctor_shows_the_variables_each_plugin_set_secrets_masked_in_text(host: Path) -> None:
    done = doctor(host, "--activate")
    assert done.returncode == 1  # zleaky failed
    lines = [line for line in done.stdout.splitlines() if line.startswith("plugin environment:")]
    assert lines == [
        f"plugin environment: creds: ACME_API_KEY={MASK}, ACME_REGION=eu-west-1, ACME_SESSION_TOKEN={MASK}",
        "plugin environment: proxy: DOCTOR_TEST_PROXY=http://new:3128",
    ]
    assert "tok-7f3a9c21e" not in done.stdout + done.stderr
    assert "key-99d0c4b1" not in done.stdout + done.stderr
    assert f"failed: zleaky failed in activate: RuntimeError: cannot use {MASK}" in done.stdout


def test_doctor_json_has_plugin_environment(host: Path) -> None:
    done = doctor(host, "--activate", "--format", "json")
    result = json.loads(done.stdout)
    assert result["plugin_environment"] == {
        "creds": {"ACME_API_KEY": MASK, "ACME_REGION": "eu-west-1", "ACME_SESSION_TOKEN": MASK},
        "proxy": {"DOCTOR_TEST_PROXY": "http://new:3128"},
    }
    zleaky = next(p for p in result["plugins"] if p["id"] == "zleaky")
    assert zleaky["reason"]["message"] == f"zleaky failed in activate: RuntimeError: cannot use {MASK}"
    assert "tok-7f3a9c21e" not in done.stdout


def test_without_activation_no_plugin_code_runs_and_no_variable_is_shown(host: Path) -> None:
    done = doctor(host, "--format", "json")
    assert json.loads(done.stdout)["plugin_environment"] == {}
    assert "plugin environment:" not in doctor(host).stdout


def test_the_doctor_process_itself_keeps_its_environment(host: Path) -> None:
    result = diagnose({"sources": [str(host / "plugins")], "timeout": 10.0}, activate=True, environ=dict(os.environ))
    assert result["plugin_environment"]["creds"]["ACME_REGION"] == "eu-west-1"
    assert "ACME_REGION" not in os.environ  # set in the child only


def test_progress_counts_the_plugins_activated_up_to_the_total(host: Path) -> None:
    calls: list[tuple[int, int]] = []
    options = {"sources": [str(host / "plugins")], "timeout": 10.0}
    result = diagnose(options, activate=True, environ=dict(os.environ), progress=lambda *call: calls.append(call))
    assert [p["id"] for p in result["plugins"]] == ["creds", "proxy", "quiet", "zleaky"]
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]  # a plugin that fails is done as well


def test_progress_stops_where_the_child_died_and_is_not_called_without_activate(tmp_path: Path) -> None:
    write_plugin(tmp_path, "a", "class Plugin:\n    def activate(self):\n        pass\n")
    write_plugin(tmp_path, "b", "import os\nclass Plugin:\n    def activate(self):\n        os._exit(7)\n")
    write_plugin(tmp_path, "c", "class Plugin:\n    def activate(self):\n        pass\n")
    calls: list[tuple[int, int]] = []
    result = diagnose(
        {"sources": [str(tmp_path)], "timeout": 10.0},
        activate=True,
        environ=dict(os.environ),
        progress=lambda *call: calls.append(call),
    )
    assert result["child"]["exit"] == 7
    assert calls == [(0, 3), (1, 3)]  # b was being activated: never (3, 3)
    calls.clear()
    diagnose({"sources": [str(tmp_path)]}, environ=dict(os.environ), progress=lambda *call: calls.append(call))
    assert calls == []


def test_a_child_that_does_not_finish_is_ended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import manifold.tools.doctor as doctor_module

    monkeypatch.setattr(doctor_module, "_CHILD_TIMEOUT_PAD", 0.0)
    write_plugin(tmp_path, "stopper", "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\nclass Plugin: ...\n")
    calls: list[tuple[int, int]] = []
    options = {"sources": [str(tmp_path)], "timeout": 0.02}  # the child gets 0.02 s x 50 = 1 s
    result = diagnose(options, activate=True, environ=dict(os.environ), progress=lambda *call: calls.append(call))
    assert result["child"] == {"exit": -1, "stderr": "the child process did not finish within 1 s"}
    assert [(p["id"], p["state"]) for p in result["plugins"]] == [("stopper", "resolved")]  # discovery's report
    assert calls == [(0, 1)]
