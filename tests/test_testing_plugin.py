"""The pytest plugin: the host guide's example test (docs/hosts.md) runs through the package's pytest11 entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_host_guides_fixture_example_passes_in_a_fresh_pytest(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "hosts.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```python\n(def test_kettle\(manifold_plugins\):\n.*?)```", page, re.S)
    (tmp_path / "test_example.py").write_text(example, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_example.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_fixture_cleans_up_modules_and_finders(tmp_path: Path) -> None:
    test = """
import sys

def test_one(manifold_plugins):
    manifold_plugins.add("a", packages=["cleanup_pkg"], activation="eager",
                         files={"cleanup_pkg/__init__.py": ""})
    manifold_plugins.manager().start()
    assert "cleanup_pkg" in sys.modules

def test_two():
    assert "cleanup_pkg" not in sys.modules
    assert not any(type(f).__name__ == "PluginImporter" for f in sys.meta_path)
"""
    (tmp_path / "test_cleanup.py").write_text(test, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_pytest_plugin_imports_nothing_heavy_until_a_fixture_is_used() -> None:
    """Every pytest run where manifold is installed loads the plugin: it must cost next to nothing."""
    code = (
        "import sys, pytest\nbefore = set(sys.modules)\nimport manifold.testing\n"
        "print(sorted(m for m in set(sys.modules) - before))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['manifold', 'manifold.testing']"
