"""Hostile secrets: a value under a secret key never reaches a reason, an error, a log record, a repr or
a command's output, whatever its shape (lists, tables, numbers, quotes, backslashes, newlines) and
however it is printed (as is, ``repr``, ``json.dumps``)."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from manifold import ExtensionError, HostConfig, Manager, SettingsError, StrictModeError
from manifold.cli import main
from manifold.testing import PluginFolder

MASK = "••••••"

# Each hostile value is what a host's settings hold under a secret key.
VALUES: dict[str, Any] = {
    "plain": "s3cr3t-value",
    "double-quote": 'pa"ss"word',
    "single-quote": "it's-a-secret",
    "backslash": "C:\\vault\\secret",
    "both-quotes-and-backslash": "a'b\"c\\d-secret",
    "newline": "first-line\nsecond-line",
    "tab": "tab\tseparated-secret",
    "non-ascii": "pässwörd-ünïcode",
    "emoji": "key-🔑-emoji",
    "list": ["alpha-key", "beta-key"],
    "list-of-short-leaves": ["ab", "cd", "ef"],
    "table": {"user": "admin-user", "pass": "hunter22"},
    "nested-table-with-list": {"keys": ["k-one", "k-two"], "depth": {"pin": "pin-4711"}},
    "integer": 987654321,
    "float": 3.14159265,
}


def renderings(value: Any) -> set[str]:
    """Every way ``value`` (or a part of it long enough to give it away) can be printed."""
    forms: set[str] = set()
    if isinstance(value, str):
        forms |= {value, repr(value)[1:-1], json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    elif isinstance(value, int | float) and not isinstance(value, bool):
        forms |= {str(value), repr(value)}
    elif isinstance(value, list | tuple):
        for item in value:
            forms |= renderings(item)
        forms |= {json.dumps(value), repr(list(value)), repr(tuple(value))}
    elif isinstance(value, dict):
        for item in value.values():
            forms |= renderings(item)
        forms |= {json.dumps(value), repr(value)}
    return {form for form in forms if len(form) >= 3}


def leaks(text: str, value: Any) -> list[str]:
    return sorted(form for form in renderings(value) if form in text)


LEAKY = """
import json, logging
class Plugin:
    def __init__(self, context):
        self.context = context
        self.token = context.settings["api-token"]
    def activate(self):
        raise RuntimeError(f"bad token {self.token!r} / {json.dumps(self.token)} / {self.token}")
"""

GOOD = "class Plugin:\n    def activate(self):\n        pass\n"


def leaky_host(folder: PluginFolder, value: Any, code: str = LEAKY, **options: Any) -> Manager:
    folder.add("good", packages=["good_pkg"], files={"good_pkg/__init__.py": GOOD}, **{"class": "good_pkg:Plugin"})
    package = f"leaky_{abs(hash((code, repr(value)))) % 10**8}"
    folder.add("leaky", packages=[package], files={f"{package}/__init__.py": code}, **{"class": f"{package}:Plugin"})
    return folder.manager(settings={"leaky": {"api-token": value}}, **options)


def quoted(value: Any, how: str) -> str:
    """The mask as ``how`` (repr or json) prints a masked ``value``: quotes stay round a string."""
    if not isinstance(value, str):
        return MASK
    return f'"{MASK}"' if how == "json" else repr(value)[0] + MASK + repr(value)[-1]


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_a_failed_plugin_shows_no_secret_in_its_reason_or_the_log(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture, value: Any
) -> None:
    with caplog.at_level(logging.INFO):
        manager = leaky_host(manifold_plugins, value)
        report = manager.activate_all()
    assert {pid: info.state for pid, info in report.plugins.items()} == {"good": "active", "leaky": "failed"}
    reason = report.plugins["leaky"].reason
    assert reason is not None
    assert (reason.code, reason.phase) == ("failed", "activate")
    assert reason.message == (
        f"leaky failed in activate: RuntimeError: bad token {quoted(value, 'repr')} / {quoted(value, 'json')} / {MASK}"
    )
    assert "RuntimeError: bad token" in reason.traceback
    shown = (reason.message, str(reason), repr(reason), repr(report.plugins["leaky"]), reason.traceback)
    for text in (*shown, caplog.text, *caplog.messages):
        assert leaks(text, value) == []
    assert isinstance(reason.error, RuntimeError)  # the host keeps the exception itself
    assert leaks(str(reason.error), value) != []


CHILD_LOGGERS = """
import logging
class Plugin:
    def __init__(self, context):
        self.context = context
        self.token = context.settings["api-token"]
    def activate(self):
        sub = self.context.logger.getChild("sub")
        sub.warning("child logger: %s", self.token)
        logging.getLogger(self.context.logger.name + ".deep.er").warning("deeper: %r", self.token)
        try:
            raise ValueError(f"token={self.token!r}")
        except ValueError:
            sub.exception("it raised with %s", self.token)
        sub.warning("where: %s", self.token, stack_info=True)
        logging.getLogger("manifold").error("host logger: %s", self.token)
        self.context.logger.info("with extra", extra={"detail": f"token {self.token!r}"})
"""


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_child_loggers_of_a_plugin_logger_and_their_tracebacks_are_masked(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture, value: Any
) -> None:
    with caplog.at_level(logging.INFO):
        manager = leaky_host(manifold_plugins, value, CHILD_LOGGERS)
        assert manager.activate("leaky")
    names = [record.name for record in caplog.records]
    assert names == [
        "manifold.plugins.leaky.sub",
        "manifold.plugins.leaky.deep.er",
        "manifold.plugins.leaky.sub",
        "manifold.plugins.leaky.sub",
        "manifold",
        "manifold.plugins.leaky",
    ]
    assert caplog.messages[0] == f"child logger: {MASK}"
    assert caplog.messages[4] == f"host logger: {MASK}"
    assert leaks(caplog.records[5].detail, value) == []
    formatter = logging.Formatter()
    for record in caplog.records:
        assert leaks(formatter.format(record), value) == []
    assert "ValueError: token=" in caplog.text
    assert "Stack (most recent call last)" in caplog.text
    assert leaks(caplog.text, value) == []


def test_a_child_logger_with_its_own_handler_that_does_not_propagate_is_masked(
    manifold_plugins: PluginFolder,
) -> None:
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    own = logging.getLogger("manifold.plugins.leaky.own")
    own.propagate, handler = False, Keep()
    own.addHandler(handler)
    try:
        code = (
            "import logging\nclass Plugin:\n    def __init__(self, context):\n"
            "        self.token = context.settings['api-token']\n    def activate(self):\n"
            "        logging.getLogger('manifold.plugins.leaky.own').warning('own: %s', self.token)\n"
        )
        manager = leaky_host(manifold_plugins, "own-handler-secret", code)
        assert manager.activate("leaky")
    finally:
        own.removeHandler(handler)
        own.propagate = True
    assert seen == [f"own: {MASK}"]


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_an_extension_error_shows_no_secret(manifold_plugins: PluginFolder, value: Any) -> None:
    code = (
        "import json\n"
        "class Plugin:\n    def __init__(self, context):\n        global TOKEN\n"
        "        TOKEN = context.settings['api-token']\n"
        "class Broken:\n    def __init__(self):\n"
        "        raise KeyError(f'no account for {TOKEN!r} ({json.dumps(TOKEN)})')\n"
    )
    manifold_plugins.add(
        "leaky",
        packages=["ext_leaky"],
        files={"ext_leaky/__init__.py": code},
        **{
            "class": "ext_leaky:Plugin",
            "extensions": [{"point": "host.things", "ref": "ext_leaky:Broken"}],
        },
    )
    manager = manifold_plugins.manager(settings={"leaky": {"api-token": value}})
    handle = manager.extension("host.things")
    with pytest.raises(ExtensionError) as raised:
        handle.load()
    message = str(raised.value)
    assert message.startswith("loading ext_leaky:Broken of leaky for host.things raised KeyError: ")
    printed = "".join(traceback.format_exception(raised.value))
    assert handle.error is not None
    for text in (message, printed, handle.error.message, handle.error.traceback):
        assert leaks(text, value) == []
    assert isinstance(handle.error.error, KeyError)  # kept for the host
    assert leaks(repr(handle), value) == []
    assert leaks(repr(handle.error), value) == []


SCHEMA_BOOLEAN = {"properties": {"api-token": {"type": "boolean"}}}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_values_passed_to_update_settings_become_secrets(manifold_plugins: PluginFolder, value: Any) -> None:
    code = (
        "class Plugin:\n    def settings_changed(self, old, new):\n"
        "        raise RuntimeError(f\"cannot use {new['password']!r}\")\n"
        "    def health(self):\n        raise RuntimeError(f'unhealthy: {self.token!r}')\n"
        "    def activate(self):\n        self.token = None\n"
    )
    manifold_plugins.add(
        "p",
        packages=["upd_p"],
        files={"upd_p/__init__.py": code},
        settings_schema=SCHEMA_BOOLEAN,
        **{"class": "upd_p:Plugin"},
    )
    manager = manifold_plugins.manager()
    assert manager.activate("p")
    with pytest.raises(SettingsError) as raised:
        manager.update_settings("p", {"api-token": value})
    assert str(raised.value).startswith("settings of p: api-token: expected a boolean, got ")
    assert leaks(str(raised.value), value) == []
    assert all(leaks(problem, value) == [] for problem in raised.value.problems)
    # A value that was accepted is a secret from then on: in logs, in health and in reasons.
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logging.getLogger("manifold").addHandler(keep)
    try:
        manager.update_settings("p", {"password": value})
        manager.plugin("p").token = value
        health = manager.health()
    finally:
        logging.getLogger("manifold").removeHandler(keep)
    assert len(records) == 1
    assert records[0].getMessage().startswith("p: settings_changed raised RuntimeError: cannot use ")
    assert leaks(records[0].getMessage(), value) == []
    assert leaks(logging.Formatter().format(records[0]), value) == []
    assert health["p"]["status"] == "error"
    assert leaks(health["p"]["error"], value) == []
    assert leaks(manager.redact(f"echo {value!r}"), value) == []


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_reprs_of_the_config_and_the_context_mask_secrets(manifold_plugins: PluginFolder, value: Any) -> None:
    code = "class Plugin:\n    def __init__(self, context):\n        self.context = context\n"
    manifold_plugins.add("p", packages=["repr_p"], files={"repr_p/__init__.py": code}, **{"class": "repr_p:Plugin"})
    settings = {"p": {"api-token": value, "nested": {"db-password": value}, "colour": "blue"}}
    manager = manifold_plugins.manager(settings=settings)
    assert manager.activate("p")
    context = manager.plugin("p").context
    for text in (repr(manager.config), repr(HostConfig.build(settings=settings)), repr(context), str(context)):
        assert leaks(text, value) == []
        assert "'colour': 'blue'" in text
        assert f"'api-token': '{MASK}'" in text


def test_strict_mode_error_shows_no_secret(manifold_plugins: PluginFolder) -> None:
    value = 'qu"o\\te-secret'
    with pytest.raises(StrictModeError) as raised:
        leaky_host(manifold_plugins, value, strict=True, required=["leaky"]).activate_all()
    assert leaks(str(raised.value), value) == []
    assert str(raised.value) == (
        f"required plugins are not active: leaky: failed: leaky failed in activate: RuntimeError: bad token "
        f"'{MASK}' / \"{MASK}\" / {MASK}"
    )


# -- the commands ---------------------------------------------------------------------------------


def host_files(tmp_path: Path, value: Any, code: str = LEAKY) -> Path:
    folder = PluginFolder(tmp_path / "plugins")
    folder.root.mkdir()
    folder.add("good", packages=["good_pkg"], files={"good_pkg/__init__.py": GOOD}, **{"class": "good_pkg:Plugin"})
    package = f"cli_leaky_{abs(hash(repr(value))) % 10**8}"
    folder.add(
        "leaky",
        packages=[package],
        files={f"{package}/__init__.py": code},
        extensions=[{"point": "host.things", "config": {"note": f"uses {value!r}" if isinstance(value, str) else 1}}],
        **{"class": f"{package}:Plugin", "description": f"mentions {value}"},
    )
    url = f"https://user:{value}@example.invalid/" if isinstance(value, str) else "https://example.invalid/"
    config = {"sources": ["plugins"], "settings": {"leaky": {"api-token": value, "url": url}}}
    (tmp_path / "manifold.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    return tmp_path / "manifold.toml"


COMMANDS = [
    ("list", "--all"),
    ("list", "--all", "--format", "json"),
    ("inspect", "leaky"),
    ("inspect", "leaky", "--format", "json"),
    ("graph",),
    ("graph", "--format", "json"),
    ("doctor",),
    ("doctor", "--format", "json"),
]
CLI_VALUES = {k: VALUES[k] for k in ("plain", "both-quotes-and-backslash", "newline", "list", "table", "integer")}


@pytest.mark.parametrize("value", CLI_VALUES.values(), ids=CLI_VALUES.keys())
def test_list_inspect_graph_and_doctor_print_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    config = host_files(tmp_path, value)
    monkeypatch.chdir(tmp_path)
    for argv in COMMANDS:
        main([*argv, "--config", str(config)])
        out, err = capsys.readouterr()
        assert leaks(out + err, value) == [], argv
    main(["inspect", "leaky", "--config", str(config)])
    out, _ = capsys.readouterr()
    assert MASK in out


ARGV_SPY = """
import sys
class Plugin:
    def activate(self):
        with open({path!r}, "wb") as f:
            f.write(open("/proc/self/cmdline", "rb").read())
        sys.stderr.write("about to fail: " + repr(SECRET) + "\\n")
        raise RuntimeError("wrong password " + repr(SECRET))
    def __init__(self, context):
        global SECRET
        SECRET = context.settings["api-token"]
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/cmdline"), reason="needs /proc")
def test_the_doctor_child_gets_its_options_on_stdin_and_reports_no_secret(tmp_path: Path) -> None:
    from manifold.tools.doctor import diagnose

    value = 'doctor\'s-"secret"\\value'
    spied = tmp_path / "cmdline"
    config = host_files(tmp_path, value, ARGV_SPY.format(path=str(spied)))
    options = {"sources": [str(config.parent / "plugins")], "settings": {"leaky": {"api-token": value}}}
    result = diagnose(options, activate=True, environ={"MANIFOLD_API_TOKEN": "env-secret-value"})
    command_line = spied.read_bytes().decode()
    assert command_line.split("\0")[1:] == ["-m", "manifold.tools.doctor", ""]
    assert leaks(command_line, value) == []
    leaky = next(p for p in result["plugins"] if p["id"] == "leaky")
    assert leaky["state"] == "failed"
    assert "RuntimeError: wrong password" in leaky["traceback"]
    printed = json.dumps(result) + json.dumps(result, ensure_ascii=False)
    assert leaks(printed, value) == []
    assert leaks(printed, "env-secret-value") == []


KILLER = """
import os, sys
class Plugin:
    def __init__(self, context):
        self.token = context.settings["api-token"]
    def activate(self):
        sys.stderr.write("dying with " + repr(self.token) + " " + str(self.token) + "\\n")
        sys.stderr.flush()
        os._exit(9)
"""


def test_the_doctor_shows_no_secret_from_a_child_that_died(tmp_path: Path) -> None:
    from manifold.tools.doctor import diagnose

    value = ["short", "list-secret"]
    config = host_files(tmp_path, value, KILLER)
    options = {"sources": [str(config.parent / "plugins")], "settings": {"leaky": {"api-token": value}}}
    result = diagnose(options, activate=True, environ={})
    assert result["child"]["exit"] == 9
    assert "dying with" in result["child"]["stderr"]
    assert leaks(json.dumps(result), value) == []


def test_the_doctor_child_reads_no_options_from_argv() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "manifold.tools.doctor"],
        input=json.dumps({"sources": []}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["plugins"] == []


def test_a_closed_or_forgotten_manager_masks_nothing_any_more(manifold_plugins: PluginFolder) -> None:
    import gc

    def logged(text: str) -> str:
        record = logging.getLogger("manifold.plugins.any.sub").makeRecord(
            "manifold.plugins.any.sub", logging.WARNING, __file__, 1, "%s", (text,), None
        )
        return record.getMessage()

    manifold_plugins.add("a")
    manager = manifold_plugins.manager(settings={"a": {"api-token": "closed-secret"}})
    manager.discover()
    assert logged("closed-secret") == MASK
    manager.close()
    assert logged("closed-secret") == "closed-secret"
    forgotten = Manager([manifold_plugins.root], environ={}, cache=False, settings={"a": {"api-token": "gone-secret"}})
    forgotten.discover()
    assert logged("gone-secret") == MASK
    del forgotten
    gc.collect()
    assert logged("gone-secret") == "gone-secret"


TEXTS = {
    "regex metacharacters": ("a.*b(c)[d]+?", "x a.*b(c)[d]+? y axxb(c)d", f"x {MASK} y axxb(c)d"),
    "the mask's own bullets": ("•••pin", "pin •••pin", f"pin {MASK}"),
    "a longer secret holding a shorter one": (["token-1", "token-12"], "token-12 token-1", f"{MASK} {MASK}"),
    "too short to match in text": ("ab", "ab cab", "ab cab"),
    "repr of a tuple of short leaves": (["ab", "cd"], "got ('ab', 'cd')", f"got {MASK}"),
    "json of a table": ({"u": "ab", "p": 12}, 'got {"u": "ab", "p": 12}', f"got {MASK}"),
    "ascii escapes": ("naïve-pw", "got 'na\\xefve-pw'", f"got '{MASK}'"),
    "a boolean is no secret": (True, "True", "True"),
}


@pytest.mark.parametrize(("value", "text", "shown"), TEXTS.values(), ids=TEXTS.keys())
def test_secrets_are_matched_after_normalisation(value: Any, text: str, shown: str) -> None:
    from manifold._secrets import Secrets

    assert Secrets([value]).scrub(text) == shown


def test_data_is_scrubbed_keys_strings_and_numbers() -> None:
    from manifold._secrets import Secrets

    secrets = Secrets([987654, "hunter22"])
    data = {"hunter22": ["x hunter22 y", 987654, 98765, True, None, 1.5]}
    assert secrets.scrub_data(data) == {MASK: [f"x {MASK} y", MASK, 98765, True, None, 1.5]}
    assert Secrets().scrub_data(data) is data
    assert not Secrets(["ab", None, False])


def test_a_plugin_id_that_looks_secret_does_not_mask_its_ordinary_settings(manifold_plugins: PluginFolder) -> None:
    """The host's settings are keyed by plugin id: an id such as acme.credentials is not a secret key."""
    from manifold import HostConfig

    manifold_plugins.add("acme.credentials", settings_schema={"properties": {"role": {"type": "string"}}})
    settings = {"acme.credentials": {"role": "deployer", "api-key": "hunter22-long"}}
    manager = manifold_plugins.manager(settings=settings)
    assert manager.settings("acme.credentials")["role"] == "deployer"
    assert manager.redact("role deployer, key hunter22-long") == "role deployer, key ••••••"
    shown = repr(HostConfig.build(settings=settings))
    assert "'role': 'deployer'" in shown
    assert "hunter22-long" not in shown
