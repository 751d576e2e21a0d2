"""The credentials chain: arguments, explicit profile, environment, file, default endpoint."""

from __future__ import annotations

import pathlib

import pytest

from cdnetworks.core import DEFAULT_ENDPOINT, Client, CredentialsError
from cdnetworks.core.credentials import resolve
from tests.conftest import CANARY_SECRET

PROFILES = """\
[default]
access_key = AKFILEDEFAULT
secret_key = sk-file-default

[prod]
access_key = AKFILEPROD
secret_key = sk-file-prod
endpoint = https://prod.example.com
"""


@pytest.fixture
def creds_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "credentials"
    path.write_text(PROFILES)
    return path


def test_arguments_win_over_everything(creds_file: pathlib.Path) -> None:
    env = {"CDNETWORKS_ACCESS_KEY": "AKENV", "CDNETWORKS_SECRET_KEY": "sk-env"}
    r = resolve(access_key="AKARG", secret_key="sk-arg", credentials_file=creds_file, environ=env)
    assert (r.credentials.access_key, r.credentials.source) == ("AKARG", "arguments")
    assert (r.endpoint, r.endpoint_source) == (DEFAULT_ENDPOINT, "default")


def test_environment_before_file(creds_file: pathlib.Path) -> None:
    env = {
        "CDNETWORKS_ACCESS_KEY": "AKENV",
        "CDNETWORKS_SECRET_KEY": "sk-env",
        "CDNETWORKS_ENDPOINT": "https://env.example.com",
        "CDNETWORKS_CREDENTIALS_FILE": str(creds_file),
    }
    r = resolve(environ=env)
    assert r.credentials.access_key == "AKENV"
    assert r.credentials.source == "environment"
    assert r.endpoint == "https://env.example.com"


def test_explicit_profile_argument_beats_environment(creds_file: pathlib.Path) -> None:
    env = {
        "CDNETWORKS_ACCESS_KEY": "AKENV",
        "CDNETWORKS_SECRET_KEY": "sk-env",
        "CDNETWORKS_ENDPOINT": "https://env.example.com",
    }
    r = resolve(profile="prod", credentials_file=creds_file, environ=env)
    assert r.credentials.access_key == "AKFILEPROD"
    assert r.endpoint == "https://prod.example.com"
    assert "profile 'prod'" in r.credentials.source


def test_file_default_profile_and_env_profile(creds_file: pathlib.Path) -> None:
    env = {"CDNETWORKS_CREDENTIALS_FILE": str(creds_file)}
    assert resolve(environ=env).credentials.access_key == "AKFILEDEFAULT"
    env["CDNETWORKS_PROFILE"] = "prod"
    r = resolve(environ=env)
    assert (r.credentials.access_key, r.endpoint) == ("AKFILEPROD", "https://prod.example.com")


def test_endpoint_argument_wins(creds_file: pathlib.Path) -> None:
    r = resolve(
        profile="prod", credentials_file=creds_file, endpoint="https://arg.example.com", environ={}
    )
    assert (r.endpoint, r.endpoint_source) == ("https://arg.example.com", "arguments")


def test_nothing_found_lists_every_place(tmp_path: pathlib.Path) -> None:
    env = {"CDNETWORKS_CREDENTIALS_FILE": str(tmp_path / "absent")}
    with pytest.raises(CredentialsError, match="does not exist"):
        resolve(environ=env)
    with pytest.raises(CredentialsError) as info:
        resolve(environ={"HOME": str(tmp_path)}, credentials_file=None)
    text = str(info.value)
    # Home is not redirected by environ (expanduser reads the process env), so assert the list.
    assert "arguments access_key/secret_key" in text
    assert "environment CDNETWORKS_ACCESS_KEY/CDNETWORKS_SECRET_KEY" in text
    assert "profile 'default' in" in text


def test_half_a_pair_is_an_error() -> None:
    with pytest.raises(CredentialsError, match="secret_key is missing"):
        resolve(access_key="AK", environ={})
    with pytest.raises(CredentialsError, match="CDNETWORKS_SECRET_KEY is unset"):
        resolve(environ={"CDNETWORKS_ACCESS_KEY": "AK"})


def test_unknown_profile_names_the_known_ones(creds_file: pathlib.Path) -> None:
    with pytest.raises(CredentialsError, match=r"profile 'staging' not found .* default, prod"):
        resolve(profile="staging", credentials_file=creds_file, environ={})


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("access_key = AK\n", 1, "expected a [profile] header"),
        ("[default]\naccess_key = AK\nthis line is junk\n", 3, "cannot parse the line"),
        ("[default]\naccess_key = AK\n[default]\n", 3, "already exists"),
    ],
)
def test_malformed_file_names_file_and_line(
    tmp_path: pathlib.Path, text: str, line: int, what: str
) -> None:
    path = tmp_path / "credentials"
    path.write_text(text)
    with pytest.raises(CredentialsError) as info:
        resolve(credentials_file=path, environ={})
    assert f"{path}" in str(info.value)
    assert f"line {line}" in str(info.value)
    assert what in str(info.value)


def test_profile_missing_secret_names_the_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[other]\naccess_key = A\nsecret_key = B\n\n[default]\naccess_key = AK\n")
    with pytest.raises(CredentialsError, match=r"line 5: profile \[default\] has no secret_key"):
        resolve(credentials_file=path, environ={})


def test_unreadable_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(b"[default]\naccess_key = \xff\xfe\n")
    with pytest.raises(CredentialsError, match="not UTF-8"):
        resolve(credentials_file=path, environ={})
    with pytest.raises(CredentialsError, match="cannot be read"):
        resolve(credentials_file=tmp_path, environ={})  # a directory


def test_client_uses_the_chain_and_hides_the_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.setenv("CDNETWORKS_ACCESS_KEY", "AKENV")
    monkeypatch.setenv("CDNETWORKS_SECRET_KEY", CANARY_SECRET)
    monkeypatch.setenv("CDNETWORKS_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("CDNETWORKS_ENDPOINT", raising=False)
    with Client(load_entry_points=False) as client:
        assert client.access_key == "AKENV"
        assert client.endpoint == DEFAULT_ENDPOINT
        for text in (repr(client), repr(client.credentials), str(client.credentials)):
            assert CANARY_SECRET not in text
        assert "AKENV" in repr(client.credentials)


def test_an_explicit_profile_needs_its_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.cdnetworks/credentials
    env = {"CDNETWORKS_ACCESS_KEY": "AKENV", "CDNETWORKS_SECRET_KEY": "sk-env"}
    with pytest.raises(CredentialsError, match=r"profile 'prod' was asked for, but .* does not"):
        resolve(profile="prod", environ=env)
    assert resolve(environ=env).credentials.access_key == "AKENV"  # no profile named: env wins


def test_client_keeps_where_its_credentials_came_from(creds_file: pathlib.Path) -> None:
    with Client(profile="prod", credentials_file=creds_file, load_entry_points=False) as client:
        assert client.credentials.source == f"profile 'prod' in {creds_file}"


def test_explicit_keys_never_read_a_broken_default_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".cdnetworks").mkdir(parents=True)
    broken = home / ".cdnetworks" / "credentials"
    broken.write_text("this is not = an ini [file\n\x00")
    broken.chmod(0)  # unreadable, too (root reads it anyway: then it is malformed)
    monkeypatch.setenv("HOME", str(home))
    for name in ("CDNETWORKS_CREDENTIALS_FILE", "CDNETWORKS_PROFILE", "CDNETWORKS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    client = Client(access_key="AKARG", secret_key=CANARY_SECRET, load_entry_points=False)
    assert (client.access_key, client.endpoint) == ("AKARG", DEFAULT_ENDPOINT)
    # Named explicitly, the file is needed (for its endpoint) and its fault is reported.
    with pytest.raises(CredentialsError, match="credentials file"):
        resolve(access_key="AKARG", secret_key="sk", credentials_file=broken)


def test_a_world_readable_file_gets_one_warning(
    creds_file: pathlib.Path, log_lines: list[str]
) -> None:
    creds_file.chmod(0o644)
    resolve(profile="prod", credentials_file=creds_file, environ={})
    resolve(profile="prod", credentials_file=creds_file, environ={})
    warned = [line for line in log_lines if "readable by every user" in line]
    assert len(warned) == 1 and f"chmod 600 {creds_file}" in warned[0]


def test_a_private_file_gets_no_warning(creds_file: pathlib.Path, log_lines: list[str]) -> None:
    creds_file.chmod(0o600)
    resolve(profile="prod", credentials_file=creds_file, environ={})
    assert not [line for line in log_lines if "readable by every user" in line]


def test_a_utf8_bom_and_quoted_values_are_accepted(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(
        "\ufeff[default]\naccess_key = \"AKQUOTED\"\nsecret_key = 'sk-quoted'\n"
        'endpoint = "https://quoted.example.com"\n',
        encoding="utf-8",
    )
    r = resolve(credentials_file=path, environ={})
    assert (r.credentials.access_key, r.credentials.secret_key) == ("AKQUOTED", "sk-quoted")
    assert r.endpoint == "https://quoted.example.com"


@pytest.mark.parametrize("value", ['"sk-half-quoted', "sk-half-quoted'", "\"sk-mixed'"])
def test_an_unmatched_quote_is_refused_without_showing_the_value(
    tmp_path: pathlib.Path, value: str
) -> None:
    path = tmp_path / "credentials"
    path.write_text(f"[default]\naccess_key = AK1\nsecret_key = {value}\n")
    with pytest.raises(
        CredentialsError, match="secret_key of profile \\[default\\] has an unmatched quote"
    ) as caught:
        resolve(credentials_file=path, environ={})
    assert "sk-" not in str(caught.value)
