"""The progress line of long runs: on a terminal only, erased at the end, so the output is the same without it."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import tty
from pathlib import Path

import pytest
from tests.conftest import WritePlugin

from manifold.cli._progress import progress_line

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def manifold(
    argv: list[str], cwd: Path, *, terminal: bool, environ: dict[str, str] | None = None
) -> tuple[int, bytes, bytes]:
    """Run the command line in a new process, its progress delay 0 (the private ``_DELAY``), stderr on a
    pseudo-terminal (raw: the bytes as written, no newline translation) or a pipe; the exit code, stdout,
    and what stderr received."""
    code = (
        "import manifold.cli._progress as progress; progress._DELAY = 0\n"
        f"from manifold.cli import main; raise SystemExit(main({argv!r}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFOLD_")}
    env |= {"TERM": "xterm", "PYTHONIOENCODING": "utf-8"} | (environ or {})
    out = cwd / "stdout.txt"
    with out.open("wb") as stdout:
        if not terminal:
            done = subprocess.run(
                [sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, cwd=cwd, env=env, timeout=120
            )
            return done.returncode, out.read_bytes(), done.stderr
        main, child = os.openpty()
        tty.setraw(child)
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        process = subprocess.Popen([sys.executable, "-c", code], stdout=stdout, stderr=child, cwd=cwd, env=env)
        os.close(child)
        received = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            received += chunk
        os.close(main)
        return process.wait(timeout=120), out.read_bytes(), received


def shown(received: bytes) -> bytes:
    """What a terminal shows of ``received``: ``\\r`` goes back to the line's start, ``ESC [ K`` clears to its end."""
    lines, line, column = [], bytearray(), 0
    for token in re.findall(rb"\x1b\[K|[\r\n]|[^\r\n\x1b]+", received):
        if token == b"\r":
            column = 0
        elif token == b"\n":
            lines.append(bytes(line))
            line, column = bytearray(), 0
        elif token == b"\x1b[K":
            del line[column:]
        else:
            line[column : column + len(token)] = token
            column += len(token)
    return b"\n".join([*lines, bytes(line)])


@pytest.fixture
def many(write_plugin: WritePlugin, plugins: Path) -> Path:
    """300 plugins, two of them with errors; the folder they are in."""
    for n in range(300):
        version = "1.0-final-x" if n in (7, 250) else "1.0"
        write_plugin(f"p{n:03d}", f'[plugin]\nid = "t.p{n:03d}"\nversion = "{version}"\n')
    return plugins.parent


LINE = rb"\r(validating [0-9,]+/300 manifests)\x1b\[K"


def test_validate_on_a_terminal_shows_progress_then_erases_it(many: Path) -> None:
    plain = manifold(["validate", "plugins"], many, terminal=False)
    code, out, err = manifold(["validate", "plugins"], many, terminal=True)
    assert plain[2] == b"2 errors, 0 warnings; 298 valid manifests\n"
    assert (code, out) == plain[:2]
    assert code == 1
    assert out.count(b"error[version]") == 2
    drawn = re.match(rb"(?:" + LINE + rb")+\r\x1b\[K", err)
    assert drawn is not None, err
    assert err[drawn.end() :] == plain[2]  # then exactly the output without a terminal
    assert shown(err) == shown(plain[2])  # and the screen shows that alone


def test_validate_progress_counts_up_to_the_total(many: Path) -> None:
    _, _, err = manifold(["validate", "plugins", "--jobs", "1"], many, terminal=True)
    counts = [int(text.split()[1].split(b"/")[0].replace(b",", b"")) for text in re.findall(LINE, err)]
    assert counts
    assert counts == sorted(counts)
    assert max(counts) <= 300


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["validate", "plugins", "--quiet"], {}),
        (["validate", "plugins"], {"TERM": "dumb"}),
    ],
    ids=["quiet", "dumb-terminal"],
)
def test_no_progress_when_quiet_or_on_a_dumb_terminal(many: Path, argv: list[str], environ: dict[str, str]) -> None:
    assert manifold(argv, many, terminal=True, environ=environ) == manifold(argv, many, terminal=False)


def test_without_a_terminal_stderr_is_the_summary_alone(many: Path) -> None:
    _, _, err = manifold(["validate", "plugins"], many, terminal=False)
    assert err == b"2 errors, 0 warnings; 298 valid manifests\n"


def write_package_plugin(root: Path, plugin_id: str) -> None:
    package = plugin_id.replace(".", "_")
    (root / plugin_id / package).mkdir(parents=True)
    (root / plugin_id / "plugin.toml").write_text(
        f'[plugin]\nid = "{plugin_id}"\nversion = "1.0"\npackages = ["{package}"]\nclass = "{package}:Plugin"\n'
    )
    (root / plugin_id / package / "__init__.py").write_text("class Plugin:\n    def activate(self):\n        pass\n")


def untimed(text: bytes) -> bytes:
    return re.sub(rb"-+", b"-", re.sub(rb" +", b" ", re.sub(rb"[0-9.]+ ms", b"ms", text)))


def test_doctor_activate_on_a_terminal_shows_progress_then_erases_it(tmp_path: Path) -> None:
    for name in ("one", "two", "three"):
        write_package_plugin(tmp_path / "plugins", name)
    argv = ["doctor", "--activate", "plugins"]
    plain = manifold(argv, tmp_path, terminal=False)
    code, out, err = manifold(argv, tmp_path, terminal=True)
    assert plain[2] == b"3 plugins: 3 active\n"
    assert code == plain[0] == 0
    # the text output holds timings: the same lines, times (and the table's widths) aside
    assert untimed(out) == untimed(plain[1])
    assert out.count(b"active") == 3
    drawn = re.match(rb"(?:\r(activating [0-3]/3 plugins)\x1b\[K)+\r\x1b\[K", err)
    assert drawn is not None, err
    assert err[drawn.end() :] == plain[2]


def test_a_closed_stderr_does_not_break_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    main, child = os.openpty()
    stream = os.fdopen(child, "w")
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr("manifold.cli._progress._DELAY", 0)
    try:
        with progress_line("validating", "manifest") as progress:
            assert progress is not None
            progress(1, 2)
            stream.close()
            progress(2, 2)  # neither this nor the erasing raises
        assert os.read(main, 1024) == b"\rvalidating 1/2 manifests\x1b[K"
    finally:
        os.close(main)


def test_not_drawn_before_the_delay_nor_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    main, child = os.openpty()
    with os.fdopen(child, "w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.setattr("manifold.cli._progress._DELAY", 3600)
        with progress_line("validating", "manifest") as progress:
            assert progress is not None
            progress(1, 1)
        print("done", file=stream, flush=True)
        assert os.read(main, 1024) == b"done\r\n"  # a short run: nothing drawn, nothing erased
    os.close(main)
    with open(os.devnull, "w") as null:
        monkeypatch.setattr(sys, "stderr", null)
        with progress_line("validating", "manifest") as progress:
            assert progress is None
