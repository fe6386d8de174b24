"""The shipped example host runs the example plugins as the docs show (docs/getting-started.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_example_host_output() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "host.py")], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "--- notes.markdown: Markdown (.md)\n"
        "# Groceries\n\nteh milk and bread\n\n"
        "--- notes.wordcount: Plain text with word count (.txt)\n"
        "Groceries\n\nteh milk and bread\n\n(4 words)\n\n"
        "on save: [\"Groceries: 'teh' looks misspelt\"]\n"
    )


def test_example_host_unloads_every_plugin_module_when_it_closes() -> None:
    code = (
        "import runpy, sys, io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    runpy.run_path({str(ROOT / 'examples' / 'host.py')!r})\n"
        "print(sorted(m for m in sys.modules if m.startswith('notes_')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # the manager closes at the end of the with block: every plugin module is unloaded again
    assert done.stdout == "[]\n"


def test_the_quickstart_output_in_getting_started_is_a_real_run() -> None:
    page = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    after = page.split("```console\n$ cd examples/quickstart\n$ manifold validate plugins/\n", 1)[1]
    block = re.split(r"^(?:\$ |```)", after, maxsplit=1, flags=re.M)[0]  # up to the next command or the block's end
    done = subprocess.run(
        [str(Path(sys.executable).parent / "manifold"), "validate", "plugins/"],
        capture_output=True,
        text=True,
        cwd=ROOT / "examples" / "quickstart",
    )
    assert done.returncode == 1
    assert done.stdout + done.stderr == block
