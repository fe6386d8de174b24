"""Host configuration: manifold.toml, [tool.manifold], the environment, and their errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from manifold import ConfigError, Manager, load_config
from manifold.config import find_config
from manifold.testing import PluginFolder

CONFIG = """\
sources = ["plugins", "pkg://notes/builtin"]
app = "notes"
app-version = "3.1"
api-version = "1.2"
api-severity = "warning"
app-severity = "warning"
enabled = ["a", "b"]
disabled = ["b"]
allow = ["a"]
deny = ["c"]
required = ["a"]
strict = true
safe-mode = false
timeout = 5
cache-dir = ".cache/manifold"

[settings."a"]
level = 3
api-key = "hunter22"
"""


def test_manifold_toml_gives_manager_options(tmp_path: Path) -> None:
    (tmp_path / "manifold.toml").write_text(CONFIG)
    config = load_config(tmp_path / "manifold.toml", environ={})
    options = dict(config.options)
    assert options.pop("environ") == {}
    assert options == {
        "sources": [str(tmp_path / "plugins"), "pkg://notes/builtin"],
        "app": "notes",
        "app_version": "3.1",
        "api_version": "1.2",
        "api_severity": "warning",
        "app_severity": "warning",
        "enabled": ["a", "b"],
        "disabled": ["b"],
        "allow": ["a"],
        "deny": ["c"],
        "required": ["a"],
        "strict": True,
        "safe_mode": False,
        "timeout": 5,
        "settings": {"a": {"level": 3, "api-key": "hunter22"}},
        "cache_dir": str(tmp_path / ".cache/manifold"),
    }


def test_empty_lists_in_the_file_restrict_nothing(tmp_path: Path, manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a")
    (tmp_path / "manifold.toml").write_text(
        f'sources = ["{manifold_plugins.root}"]\nenabled = []  # when not empty\nallow = []\n'
    )
    manager = Manager.from_config(tmp_path / "manifold.toml", environ={"MANIFOLD_ENABLED": ""}, cache=False)
    try:
        assert manager.inspect("a").state == "resolved"
        assert (manager.config.enabled, manager.config.allow) == (None, None)
    finally:
        manager.close()


def test_found_upwards_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.manifold]\nsources = ["p"]\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "pyproject.toml"
    assert load_config(start=deep, environ={}).options["sources"] == [str(tmp_path / "p")]
    (tmp_path / "a" / "manifold.toml").write_text('sources = ["q"]\n')
    assert find_config(deep) == tmp_path / "a" / "manifold.toml"


def test_errors_name_the_key_and_line(tmp_path: Path) -> None:
    (tmp_path / "manifold.toml").write_text('sources = ["p"]\ntimout = 3\napi-severity = "fatal"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "manifold.toml", environ={})
    assert [(d.code, d.path, d.line) for d in raised.value.diagnostics] == [
        ("unknown-key", "timout", 2),
        ("schema", "api-severity", 3),
    ]
    assert str(raised.value) == (
        f"{tmp_path / 'manifold.toml'} is not a valid configuration:\n"
        f'{tmp_path / "manifold.toml"}:2:1: error[unknown-key]: timout: unknown key; did you mean "timeout"?\n'
        f'{tmp_path / "manifold.toml"}:3:1: error[schema]: api-severity: "fatal" is not one of "error", "warning"'
    )


def test_errors_in_pyproject_have_the_full_key_path(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.manifold]\nstrict = "yes"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "pyproject.toml", environ={})
    (d,) = raised.value.diagnostics
    assert (d.path, d.line, d.message) == (
        "tool.manifold.strict",
        5,
        'tool.manifold.strict: expected a boolean, got a string ("yes")',
    )


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "manifold.toml").write_text(CONFIG)
    env = {
        "MANIFOLD_PATH": f"one{__import__('os').pathsep}two",
        "MANIFOLD_ENABLED": "x, y",
        "MANIFOLD_DISABLED": "",
        "MANIFOLD_SAFE_MODE": "yes",
        "MANIFOLD_STRICT": "0",
        "MANIFOLD_TIMEOUT": "0",
    }
    options = load_config(tmp_path / "manifold.toml", environ=env).options
    assert (
        options["sources"],
        options["enabled"],
        options["disabled"],
        options["safe_mode"],
        options["strict"],
        options["timeout"],
    ) == (["one", "two"], ["x", "y"], [], True, False, None)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "MANIFOLD_TIMEOUT",
            "abc",
            "MANIFOLD_TIMEOUT='abc' is not a number of seconds; use e.g. 20, 2.5, or 0 for no limit",
        ),
        (
            "MANIFOLD_TIMEOUT",
            "-1",
            "MANIFOLD_TIMEOUT='-1' is not a number of seconds; use e.g. 20, 2.5, or 0 for no limit",
        ),
        ("MANIFOLD_STRICT", "maybe", "MANIFOLD_STRICT='maybe' is not a boolean; use 1/true/yes/on or 0/false/no/off"),
        ("MANIFOLD_JOBS", "0", "MANIFOLD_JOBS='0' is not a number of processes; use 1 (no other process) or more"),
        ("MANIFOLD_JOBS", "two", "MANIFOLD_JOBS='two' is not a number of processes; use 1 (no other process) or more"),
        ("MANIFOLD_SAFE_MODE", "2", "MANIFOLD_SAFE_MODE='2' is not a boolean; use 1/true/yes/on or 0/false/no/off"),
    ],
)
def test_bad_environment_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(None, start="/", environ={name: value})
    assert str(raised.value) == message


def test_manager_from_config_with_overrides(manifold_plugins: PluginFolder, tmp_path: Path) -> None:
    manifold_plugins.add("a")
    manifold_plugins.add("b")
    (tmp_path / "manifold.toml").write_text('sources = ["plugins"]\ndisabled = ["b"]\napp = "notes"\n')
    manager = Manager.from_config(tmp_path / "manifold.toml", environ={}, app="paint")
    assert manager.config.app == "paint"
    assert manager.discover().by_reason() == {"disabled": ["b"]}
    manager.close()


def test_secret_settings_never_reach_messages_or_logs(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    schema = {"properties": {"api-token": {"type": "integer"}}}
    manifold_plugins.add("a", settings_schema=schema)
    code = (
        "class Plugin:\n    def __init__(self, context):\n"
        "        context.logger.warning('token is %s', context.settings['db-password'])\n"
    )
    manifold_plugins.add(
        "b", packages=["secret_b"], files={"secret_b/__init__.py": code}, **{"class": "secret_b:Plugin"}
    )
    with caplog.at_level(logging.WARNING):
        manager = manifold_plugins.manager(
            settings={"a": {"api-token": "s3cr3t-value"}, "b": {"db-password": "pa55word"}}
        )
        reason = manager.inspect("a").reason
        assert manager.activate("b")
    assert reason is not None
    assert reason.message == 'settings of a: api-token: expected an integer, got a string ("••••••")'
    assert caplog.messages == [
        "1 plugin cannot load: a (invalid-settings) (manager.report says why)",  # the summary of discovery
        "token is ••••••",
    ]


def test_jobs_from_the_file_and_the_environment(tmp_path: Path) -> None:
    (tmp_path / "manifold.toml").write_text("jobs = 2\n")
    assert load_config(tmp_path / "manifold.toml", environ={}).options["jobs"] == 2
    assert load_config(tmp_path / "manifold.toml", environ={"MANIFOLD_JOBS": "1"}).options["jobs"] == 1
    (tmp_path / "manifold.toml").write_text("jobs = 0\n")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "manifold.toml", environ={})
    assert [(d.code, d.path, d.line) for d in raised.value.diagnostics] == [("schema", "jobs", 1)]


def test_a_manager_takes_its_redactor_off_the_loggers_when_closed_or_collected(
    manifold_plugins: PluginFolder,
) -> None:
    import gc

    code = "class Plugin:\n    def __init__(self, context):\n        context.logger.info('up')\n"
    files = {"secret_c/__init__.py": code}
    manifold_plugins.add("c", packages=["secret_c"], files=files, **{"class": "secret_c:Plugin"})
    carriers = [logging.getLogger("manifold"), logging.getLogger("manifold.plugins.c")]
    secret = {"c": {"api-token": "s3cr3t-value"}}

    def added_since(before: list[list[object]]) -> list[list[object]]:
        return [[f for f in log.filters if f not in old] for log, old in zip(carriers, before, strict=True)]

    def still_there(filters: list[list[object]]) -> list[list[object]]:
        return [[f for f in added if f in log.filters] for log, added in zip(carriers, filters, strict=True)]

    before = [list(log.filters) for log in carriers]
    closed = manifold_plugins.manager(settings=secret)
    assert closed.activate("c")
    added = added_since(before)
    assert [len(filters) for filters in added] == [1, 1]  # the manager's redactor, on both loggers
    closed.close()
    assert still_there(added) == [[], []]

    before = [list(log.filters) for log in carriers]
    forgotten = Manager([manifold_plugins.root], environ={}, cache=False, settings=secret)  # not the fixture's
    forgotten.discover()
    added = added_since(before)
    assert [len(filters) for filters in added] == [1, 0]
    del forgotten
    gc.collect()
    assert still_there(added) == [[], []]
