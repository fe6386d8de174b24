"""Shared helpers: write plugin folders into a temporary drop-in folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests take their number of examples from the profile: "default" keeps the suite quick
# where it is run often; "thorough" (``pytest --hypothesis-profile=thorough``, run by CI on the
# property tests) tries eight times as many.
settings.register_profile("default", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")

WritePlugin = Callable[..., Path]


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty drop-in folder ``plugins/``, in the current folder (so messages say ``plugins/...``)."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def write_plugin(plugins: Path) -> WritePlugin:
    """``write_plugin("a", '''[plugin] ...''', files={"pkg/__init__.py": ""})`` -> the plugin folder."""

    def write(name: str, manifest: str, files: dict[str, str] | None = None) -> Path:
        folder = plugins / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plugin.toml").write_text(textwrap.dedent(manifest).lstrip("\n"), encoding="utf-8")
        for relative, text in (files or {}).items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        return folder

    return write


@pytest.fixture
def eager_plugin(write_plugin: WritePlugin) -> Path:
    """One eager plugin, ``acme.md`` in ``plugins/md``, whose package holds an empty class ``Plugin``."""
    return write_plugin(
        "md",
        """
        [plugin]
        id = "acme.md"
        version = "1.0"
        packages = ["acme_md"]
        class = "acme_md:Plugin"
        activation = "eager"
        """,
        files={"acme_md/__init__.py": "class Plugin:\n    pass\n"},
    )


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Managers built without a cache_dir (and subprocesses) write their cache here, not in the user's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
