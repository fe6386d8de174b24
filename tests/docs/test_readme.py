"""README.md, the front page: every shell command in it works as written on a fresh clone and prints what
the README shows. The same for the commands of docs/getting-started.md."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the environment the set-up commands make: manifold and python are in it
README = ROOT / "README.md"
GETTING_STARTED = ROOT / "docs" / "getting-started.md"
SHELL_FENCES = ("sh", "console", "bash", "shell", "shell-session")


def blocks(page: Path, *languages: str) -> list[str]:
    """The bodies of the fenced blocks of ``page`` in one of ``languages``, in page order."""
    text = page.read_text(encoding="utf-8")
    return [body for lang, body in re.findall(r"^```([\w-]*)\n(.*?)^```", text, re.M | re.S) if lang in languages]


def sh_lines(page: Path) -> list[str]:
    return [line for body in blocks(page, "sh") for line in body.splitlines() if line.strip()]


def console_runs(page: Path) -> list[tuple[str, str]]:
    """``(command, output shown)`` for every ``$ `` line of the page's console blocks, in order."""
    runs: list[tuple[str, list[str]]] = []
    for body in blocks(page, "console"):
        assert body.startswith("$ "), f"{page.name}: a console block starts with a command"
        for line in body.splitlines():
            if line.startswith("$ "):
                runs.append((line[2:], []))
            else:
                runs[-1][1].append(line)
    return [(command, "".join(f"{line}\n" for line in shown)) for command, shown in runs]


def ci_run() -> list[str]:
    """The commands `.ci/run` runs, one per line, comments left out."""
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def without_pip_quiet(command: str) -> list[str]:
    """The words of a command line, pip's ``-q`` left out: it changes how much pip prints, nothing else."""
    return [word for word in shlex.split(command) if word != "-q"]


def fresh_clone(tmp_path: Path) -> Path:
    """The files of the repository the commands use, copied as a clone has them (no bytecode, no build output)."""
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mfz", ".pytest_cache")
    shutil.copytree(ROOT / "examples", clone / "examples", ignore=ignore)
    return clone


def run_in(clone: Path, runs: list[tuple[str, str]]) -> list[tuple[str, int, str]]:
    """Run each command as a shell in the activated environment would, in ``clone``; ``cd`` moves on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFOLD_") and k not in ("FORCE_COLOR",)}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(BIN.parent)
    cwd = clone
    results = []
    for command, _shown in runs:
        if command.startswith("cd "):
            cwd = (cwd / command[3:].strip()).resolve()
            assert cwd.is_dir(), command
            results.append((command, 0, ""))
            continue
        done = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        results.append((command, done.returncode, (done.stdout + done.stderr).replace(f"{clone}{os.sep}", "")))
    return results


def expected_status(shown: str) -> int:
    """1 when the output shown reports errors (``3 errors, ...``), else 0."""
    return 1 if re.search(r"^[1-9]\d* errors?,", shown, re.M) else 0


# -- the set-up commands ---------------------------------------------------------------------------


def test_the_readme_has_exactly_the_two_set_up_commands_as_sh_blocks() -> None:
    assert len(blocks(README, "sh")) == 2
    assert [line.split(" && ")[0] for line in sh_lines(README)] == ["python3 -m venv .venv"] * 2
    shell = [body for fence in SHELL_FENCES if fence not in ("sh", "console") for body in blocks(README, fence)]
    assert shell == [], "shell commands go in sh (no output) or console ($ command, then its output) blocks"


def test_the_test_command_is_the_one_ci_runs() -> None:
    _install, test = sh_lines(README)
    (ci_test,) = [line for line in ci_run() if line.startswith("python3 -m venv .venv && ")]
    assert without_pip_quiet(test) == without_pip_quiet(ci_test)
    assert test.endswith(" && .venv/bin/python -m pytest")


def test_the_install_command_is_run_by_ci_as_written() -> None:
    """`python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/manifold validate examples/plugins`: CI
    runs that very line in a clean copy of the tree; its parts are the same venv as CI's test command, a pip
    install of this project, and a validate whose paths CI validates too, which is run here and passes."""
    install, _test = sh_lines(README)
    assert any(f"&& {install})" in line for line in ci_run())  # (cd "$copy" && <the README's line>)
    venv, pip, validate = install.split(" && ")
    (ci_test,) = [line for line in ci_run() if line.startswith("python3 -m venv .venv && ")]
    assert venv == ci_test.split(" && ")[0]
    assert pip == ".venv/bin/pip install ."
    words = shlex.split(validate)
    assert words[:2] == [".venv/bin/manifold", "validate"]
    ci_validated = {
        path for line in ci_run() if line.startswith(".venv/bin/manifold validate ") for path in line.split()[2:]
    }
    assert set(words[2:]) <= ci_validated
    done = subprocess.run([BIN / "manifold", *words[1:]], cwd=ROOT, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "0 errors, 0 warnings; 4 valid manifests\n")


def test_getting_started_shows_the_readmes_set_up_commands() -> None:
    assert sh_lines(GETTING_STARTED)[:2] == sh_lines(README)


# -- the quickstart: run as written, output as shown ------------------------------------------------


def test_the_readme_quickstart_prints_what_the_readme_shows(tmp_path: Path) -> None:
    runs = console_runs(README)
    assert [command for command, _ in runs] == [
        "manifold validate examples/plugins",
        "manifold graph examples/plugins --order",
        "python examples/host.py",
        "manifold validate examples/quickstart/plugins",
    ]
    results = run_in(fresh_clone(tmp_path), runs)
    assert results == [(command, expected_status(shown), shown) for command, shown in runs]


def test_the_getting_started_commands_print_what_the_page_shows(tmp_path: Path) -> None:
    runs = console_runs(GETTING_STARTED)
    assert len(runs) >= 6
    results = run_in(fresh_clone(tmp_path), runs)
    assert results == [(command, expected_status(shown), shown) for command, shown in runs]


def test_the_getting_started_commands_shown_without_output_succeed(tmp_path: Path) -> None:
    """The generated plugin's own tests pass, and doctor activates it (the block after ``manifold new``)."""
    new = [run for run in console_runs(GETTING_STARTED) if run[0].startswith("manifold new ")]
    quiet = [(line, "") for line in sh_lines(GETTING_STARTED)[2:]]
    assert [command for command, _ in quiet] == [
        "python -m pytest plugins/timer",
        "manifold doctor plugins/ --activate",
    ]
    results = run_in(fresh_clone(tmp_path), [*new, *quiet])
    assert [(command, status) for command, status, _ in results] == [(command, 0) for command, _ in [*new, *quiet]]
    assert "2 passed" in results[1][2]
    assert "acme.timer  active" in results[2][2]


@pytest.mark.parametrize("page", [README, GETTING_STARTED], ids=lambda p: p.name)
def test_no_shell_block_is_left_unchecked(page: Path) -> None:
    """Every shell command of the page is in an sh block (checked above) or a console block (run above)."""
    text = page.read_text(encoding="utf-8")
    fences = re.findall(r"^```([\w-]*)\n", text, re.M)
    assert set(fences) & set(SHELL_FENCES) <= {"sh", "console"}


def test_the_readme_is_a_front_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 8 * 1024
    assert "<!-- public-api -->" not in text
    assert "| code | severity | what is wrong |" not in text
