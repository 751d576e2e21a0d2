"""The completion scripts, loaded the way a user loads them: the bash one in a real bash."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from cdnetworks.cli.main import main
from tests.cli.conftest import cli

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    done = cli("completion", "bash")
    assert done.returncode == 0, done.stderr
    path = tmp_path_factory.mktemp("completion") / "cdnetworks.bash"
    path.write_text(done.stdout)
    return str(path)


def complete(script: str, *words: str, home: str | None = None) -> list[str]:
    """COMPREPLY for the command line ``words`` (the last one is being completed)."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = f"""
source '{script}'
COMP_WORDS=({quoted})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_cdnetworks
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = {"PATH": "/usr/bin:/bin", "HOME": home or "/nonexistent"}
    done = subprocess.run(  # noqa: S603 - bash running the generated script
        ["bash", "--norc", "--noprofile", "-c", program],  # noqa: S607
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.slow
def test_the_script_registers_the_function(bash_script: str) -> None:
    done = subprocess.run(  # noqa: S603
        ["bash", "--norc", "-c", f"source '{bash_script}' && complete -p cdnetworks"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.stdout.strip() == "complete -F _cdnetworks cdnetworks"


def test_products_commands_options_and_choices(bash_script: str) -> None:
    top = complete(bash_script, "cdnetworks", "")
    assert {"imagemanage", "configure", "api", "completion", "emulator"} <= set(top)
    assert complete(bash_script, "cdnetworks", "ima") == ["imagemanage"]
    assert complete(bash_script, "cdnetworks", "imagemanage", "wait-") == [
        "wait-for-image",
        "wait-for-preheating",
    ]
    options = complete(bash_script, "cdnetworks", "imagemanage", "vmp-query-image", "--s")
    assert options == ["--sort-key", "--sort-dir", "--state"]
    assert complete(bash_script, "cdnetworks", "imagemanage", "vmp-query-image", "--type", "") == [
        "COMMON",
        "CUSTOM",
        "SNAPSHOT",
    ]
    # Global options before the command, with values, do not derail the walk.
    assert complete(
        bash_script,
        "cdnetworks",
        "--output",
        "table",
        "imagemanage",
        "vmp-query-image",
        "--state",
        "A",
    ) == ["ACTIVE"]
    assert complete(bash_script, "cdnetworks", "--output", "") == ["json", "table", "text"]
    assert complete(bash_script, "cdnetworks", "api", "GET", "/vmp/images", "--query-") == [
        "--query-param"
    ]


def test_profiles_come_from_the_credentials_file(bash_script: str, tmp_path: object) -> None:
    import pathlib

    home = pathlib.Path(str(tmp_path))
    (home / ".cdnetworks").mkdir()
    (home / ".cdnetworks" / "credentials").write_text("[default]\n[prod]\n")
    assert complete(bash_script, "cdnetworks", "--profile", "", home=str(home)) == [
        "default",
        "prod",
    ]


def script(shell: str) -> str:
    out = io.StringIO()
    assert main(["completion", shell], stdout=out) == 0
    return out.getvalue()


@pytest.mark.slow
def test_zsh_and_fish_scripts_are_generated_from_the_same_tree(
    capsys: pytest.CaptureFixture[str],
) -> None:
    zsh, fish = script("zsh"), script("fish")
    assert zsh.startswith("#compdef cdnetworks")
    assert '"imagemanage/vmp-query-image|--type") echo "COMMON CUSTOM SNAPSHOT"' in zsh
    assert "-l type -x -a 'COMMON CUSTOM SNAPSHOT'" in fish
    for shell, text in (("zsh", zsh), ("fish", fish)):
        if shutil.which(shell):  # syntax check where the shell is installed
            check = subprocess.run(  # noqa: S603
                [shell, "-n"], input=text, text=True, capture_output=True, check=False
            )
            assert check.returncode == 0, check.stderr
    with pytest.raises(SystemExit) as info:
        main(["completion", "tcsh"])
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err
