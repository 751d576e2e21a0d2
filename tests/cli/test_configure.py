"""``cdnetworks configure`` run as a user would, in a fresh HOME."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from cdnetworks.cli.main import main
from tests.cli.conftest import clean_env, cli
from tests.conftest import CANARY_SECRET

# Slow: the console script in child processes.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

EXISTING = """\
# keys for the staging account
[staging]
access_key = AKSTAGING
secret_key = sk-staging-0000
; endpoint = https://staging.example.com

[prod]
access_key=AKPROD
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


class Done:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Done]:
    """``cdnetworks ARGS`` through its entry point, in-process, in the fresh HOME."""
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith("CDNETWORKS_"):
            monkeypatch.delenv(name)

    def run(*argv: str, input: str = "", **env: str) -> Done:
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            out, err = io.StringIO(), io.StringIO()
            code = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(input))
        return Done(code, out.getvalue(), err.getvalue())

    return run


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = clean_env(HOME=str(home), **extra)
    env.pop("CDNETWORKS_PROFILE", None)
    return env


def test_set_in_a_fresh_home_creates_private_file_and_folder(home: Path) -> None:
    home.mkdir()
    env = env_for(home)
    done = cli("configure", "set", "access_key", "AKFRESH", env=env)
    assert done.returncode == 0, done.stderr
    secret = cli("configure", "set", "--secret-key-stdin", env=env, input=CANARY_SECRET + "\n")
    assert secret.returncode == 0, secret.stderr
    path = home / ".cdnetworks" / "credentials"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == f"[default]\naccess_key = AKFRESH\nsecret_key = {CANARY_SECRET}\n"
    assert CANARY_SECRET not in done.stdout + done.stderr + secret.stdout + secret.stderr
    assert [p.name for p in path.parent.iterdir()] == ["credentials"]  # no temporary left
    # The SDK reads what configure wrote.
    from cdnetworks.core.credentials import resolve

    resolved = resolve(credentials_file=path, environ={})
    assert resolved.credentials.access_key == "AKFRESH"
    assert resolved.credentials.secret_key == CANARY_SECRET


def test_other_profiles_and_comments_are_kept(home: Path, run: Callable[..., Done]) -> None:
    folder = home / ".cdnetworks"
    folder.mkdir(parents=True)
    (folder / "credentials").write_text(EXISTING)
    assert (
        run("--profile", "prod", "configure", "set", "endpoint", "https://p.example.com").returncode
        == 0
    )
    done = run(
        "configure",
        "set",
        "--secret-key-stdin",
        "--profile",
        "prod",
        input="sk-prod-1234\n",
    )
    assert done.returncode == 0, done.stderr
    assert run("configure", "set", "access_key", "AKNEW", "--profile", "new").returncode == 0
    text = (folder / "credentials").read_text()
    assert (
        text
        == EXISTING.replace(
            "access_key=AKPROD\n",
            "access_key=AKPROD\nendpoint = https://p.example.com\nsecret_key = sk-prod-1234\n",
        )
        + "\n[new]\naccess_key = AKNEW\n"
    )
    # Changing a value rewrites its line and nothing else.
    assert (
        run("configure", "set", "access_key", "AKSTAGING2", "--profile", "staging").returncode == 0
    )
    assert (folder / "credentials").read_text() == text.replace("AKSTAGING", "AKSTAGING2")


def test_the_secret_never_comes_from_argv(home: Path) -> None:
    done = cli("configure", "set", "secret_key", CANARY_SECRET, env=env_for(home))
    assert done.returncode == 2
    assert CANARY_SECRET not in done.stdout + done.stderr
    assert "--secret-key-stdin" in done.stderr and done.stderr.count("\n") == 1
    assert not (home / ".cdnetworks").exists()


@pytest.mark.parametrize(
    ("argv", "needle", "status"),
    [
        (["--profile", "a]b", "configure", "set", "access_key", "AK"], "profile name 'a]b'", 2),
        (["configure", "set", "region", "x"], "KEY must be access_key or endpoint", 2),
        (["configure", "set", "endpoint", "ftp://x"], "expected a URL", 2),
        (["configure", "set", "endpoint", "https://u:pw@host"], "user name or password", 2),
        (["configure", "set", "access_key", "A K"], "contains spaces", 2),
        (["configure", "set", "access_key"], "needs a VALUE", 2),
    ],
)
def test_bad_input_is_one_line(
    home: Path, argv: list[str], needle: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(home))
    for name in ("CDNETWORKS_CREDENTIALS_FILE", "CDNETWORKS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, stdout=out, stderr=err, stdin=io.StringIO("")) == status
    assert needle in err.getvalue() and err.getvalue().count("\n") == 1, err.getvalue()
    assert out.getvalue() == "" and not home.exists()


def test_an_unreadable_or_broken_file_is_a_configuration_error(home: Path) -> None:
    folder = home / ".cdnetworks"
    folder.mkdir(parents=True)
    path = folder / "credentials"
    path.write_text("access_key = AKNOSECTION\n")
    done = cli("configure", "set", "access_key", "AK", env=env_for(home))
    assert done.returncode == 3 and "cannot be parsed" in done.stderr
    assert done.stderr.count("\n") == 1
    assert path.read_text() == "access_key = AKNOSECTION\n"  # left alone
    if os.geteuid() != 0:  # root reads a 000 file anyway
        path.write_text("[default]\n")
        path.chmod(0)
        done = cli("configure", "list", env=env_for(home))
        assert done.returncode == 3 and "cannot be read" in done.stderr


def test_interactive_configure_prompts_and_keeps_answers(
    home: Path, run: Callable[..., Done]
) -> None:
    done = run("configure", "--profile", "asked", input=f"AKASKED\n{CANARY_SECRET}\n\n")
    assert done.returncode == 0, done.stderr
    assert "Access key" in done.stderr and "Secret key" in done.stderr
    assert CANARY_SECRET not in done.stdout + done.stderr
    text = (home / ".cdnetworks" / "credentials").read_text()
    assert text == f"[asked]\naccess_key = AKASKED\nsecret_key = {CANARY_SECRET}\n"
    # Empty answers keep everything; the secret is shown masked as the current value.
    again = run("configure", "--profile", "asked", input="\n\n\n")
    assert again.returncode == 0
    assert "[****" + CANARY_SECRET[-4:] + "]" in again.stderr
    assert (home / ".cdnetworks" / "credentials").read_text() == text
    empty = run("configure", "--profile", "other", input="\n\n\n")
    assert empty.returncode == 2 and "cannot stay empty" in empty.stderr


def test_list_masks_the_secret_and_names_each_source(home: Path, run: Callable[..., Done]) -> None:
    run("configure", "set", "access_key", "AKLIST")
    run("configure", "set", "--secret-key-stdin", input=CANARY_SECRET + "\n")
    done = run("configure", "list", "--output", "json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: (r["value"], r["source"]) for r in json.loads(done.stdout)["settings"]}
    assert rows["profile"] == ("default", "default")
    assert rows["access_key"] == ("AKLIST", "file ~/.cdnetworks/credentials [default]")
    assert rows["secret_key"] == (
        "****" + CANARY_SECRET[-4:],
        "file ~/.cdnetworks/credentials [default]",
    )
    assert rows["endpoint"] == ("https://api.cdnetworks.com", "default")
    assert CANARY_SECRET not in done.stdout
    env_keys = {
        "CDNETWORKS_ACCESS_KEY": "AKENV",
        "CDNETWORKS_SECRET_KEY": "sk-env-abcd-9876",
        "CDNETWORKS_ENDPOINT": "https://env.example.com",
    }
    table = run("configure", "list", "--endpoint", "https://arg.example.com", **env_keys)
    assert table.returncode == 0, table.stderr
    lines = {line.split()[0]: line.split()[1:] for line in table.stdout.splitlines()[3:]}
    assert lines["access_key"] == ["AKENV", "environment"]
    assert lines["secret_key"] == ["****9876", "environment"]
    assert lines["endpoint"] == ["https://arg.example.com", "argument"]


def test_the_missing_credentials_error_points_at_configure(home: Path) -> None:
    done = cli("imagemanage", "vmp-query-image", env=env_for(home))
    assert done.returncode == 3
    assert "cdnetworks configure" in done.stderr and "--access-key" in done.stderr
    assert "arguments access_key/secret_key" not in done.stderr
