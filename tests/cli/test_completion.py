"""Shell completion generated from the parser: every command and option, as a shell completes them."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from manifold.cli import main


def script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def complete_in_bash(text: str, words: list[str], current: int) -> list[str]:
    """What bash offers for ``words`` (``words[current]`` being typed) with the generated script loaded."""
    program = (
        f"{text}\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={current}; _manifold; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_bash_completes_commands_and_each_commands_options(capsys: pytest.CaptureFixture[str]) -> None:
    text = script("bash", capsys)
    assert complete_in_bash(text, ["manifold", "va"], 1) == ["validate"]
    assert complete_in_bash(text, ["manifold", "ver"], 1) == ["verify"]
    assert complete_in_bash(text, ["manifold", "--de"], 1) == ["--debug"]
    assert complete_in_bash(text, ["manifold", "validate", "--st"], 2) == ["--strict"]
    assert complete_in_bash(text, ["manifold", "--debug", "doctor", "--ac"], 3) == ["--activate"]
    assert complete_in_bash(text, ["manifold", "schema", "bu"], 2) == ["bundle"]
    assert complete_in_bash(text, ["manifold", "completion", "fi"], 2) == ["fish"]


def test_every_command_is_offered_by_every_shell(capsys: pytest.CaptureFixture[str]) -> None:
    commands = ["validate", "list", "graph", "inspect", "doctor", "new", "migrate", "pack", "verify", "schema"]
    bash, zsh, fish = (script(shell, capsys) for shell in ("bash", "zsh", "fish"))
    for command in commands:
        assert f"        {command}) opts=" in bash
        assert f"        {command}) opts=" in zsh
        assert f"'__fish_seen_subcommand_from {command}' -l help" in fish
    assert zsh.startswith("# zsh completion for manifold")
    assert "autoload -U +X bashcompinit && bashcompinit\n" in zsh
    assert "complete -c manifold -n __fish_use_subcommand -f -a 'validate list graph inspect doctor" in fish


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err
