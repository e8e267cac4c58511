"""Bad input never gives a traceback: one ``workbench: error:`` line and a meaningful exit code."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.helpers.cli import PASSPHRASE, prepare_secrets_file, run_cli
from workbench.core.store.vault import PASSPHRASE_ENV, default_secrets_file
from workbench.core.store.workspace import Workspace

ZENDESK = ("accounts", "add", "--user", "u1", "--app", "zendesk")
SEND = ("send", "--user", "u", "--account", "apn_x", "GET", "/x")


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, str]:
    """A workspace file with one project and a (cheap) secrets file; path and project id."""
    path = tmp_path / "ws.sqlite3"
    prepare_secrets_file(path)
    with Workspace.open(path) as opened:
        project = opened.create_project("QA")
    return path, project.id


def assert_nothing_stored(path: Path, project_id: str) -> None:
    with Workspace.open(path) as opened:
        assert opened.list_accounts() == []
        assert opened.list_users(project_id) == []
    # Entry names are the only plaintext in the secrets file.
    assert "account:" not in default_secrets_file(path).read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ["evil.com/x", "a b", "x.y", "acme\r\nX: y"])
def test_bad_custom_field_is_refused_naming_it_and_nothing_is_stored(
    workspace: tuple[Path, str], value: str
) -> None:
    path, project_id = workspace
    result = run_cli(
        *ZENDESK, "--field", f"subdomain={value}", "--secret", "oauth_access_token=tok",
        "--workspace", str(path), "--secrets", "file", env={PASSPHRASE_ENV: PASSPHRASE},
    )  # fmt: skip

    assert result.code == 2, result
    assert "subdomain" in result.error_line()
    assert result.stdout == ""
    assert_nothing_stored(path, project_id)


def test_missing_secret_without_a_terminal_names_it_and_the_flag(
    workspace: tuple[Path, str],
) -> None:
    path, project_id = workspace
    result = run_cli(
        *ZENDESK, "--field", "subdomain=acme", "--workspace", str(path), "--secrets", "file",
        env={PASSPHRASE_ENV: PASSPHRASE},
    )  # fmt: skip

    assert result.code == 2, result
    line = result.error_line()
    assert "oauth_access_token" in line
    assert "--secret oauth_access_token=" in line
    assert_nothing_stored(path, project_id)


# (arguments, environment, exit code, text the error line contains). Placeholders:
# {ws} a workspace with one project, {project} its id, {missing} an absent file,
# {broken} a file of invalid JSON, {garbage} a file that is not a workspace.
BAD_INVOCATIONS = [
    (("nonsense",), {}, 2, "invalid choice"),
    (("projects",), {}, 2, "required"),
    (("projects", "list", "--bogus"), {}, 2, "unrecognized"),
    (("send",), {}, 2, "required"),
    ((*SEND, "-H", "Authorization Bearer sk_test_1"), {}, 2, "Name: value"),
    ((*SEND, "--timeout", "0"), {}, 2, "timeout"),
    ((*SEND, "--timeout", "soon"), {}, 2, "timeout"),
    (("serve", "--port", "70000"), {}, 2, "65535"),
    (("apps", "bogus"), {}, 2, "invalid choice"),
    (("projects", "list", "--workspace", "{ws}", "--demo"), {}, 2, "not allowed with"),
    (("demo", "--once", "--workspace", "{ws}"), {}, 2, "drop --workspace"),
    ((*SEND, "--data", "{{not json", "--workspace", "{ws}"), {}, 2, "not valid JSON"),
    ((*SEND, "--data", "@{missing}", "--workspace", "{ws}"), {}, 2, "cannot read --data"),
    ((*ZENDESK, "--field", "subdomain", "--workspace", "{ws}"), {}, 2, "name=value"),
    (("accounts", "add", "--user", "u", "--app", "nope", "--workspace", "{ws}"), {}, 2, "nope"),
    (("projects", "credentials", "proj_nope", "--workspace", "{ws}"), {}, 1, "no project"),
    (("projects", "create", "--name", " ", "--workspace", "{ws}"), {}, 1, "non-empty name"),
    (("accounts", "remove", "apn_nope", "--workspace", "{ws}"), {}, 1, "no account"),
    (("users", "remove", "nobody", "--workspace", "{ws}"), {}, 1, "no user"),
    (("apps", "import", "{missing}", "--workspace", "{ws}"), {}, 1, "missing.json"),
    (("apps", "import", "{broken}", "--workspace", "{ws}"), {}, 1, "line 1"),
    (("projects", "list", "--workspace", "{garbage}"), {}, 1, "not a workbench workspace"),
    (
        ("projects", "credentials", "{project}", "--workspace", "{ws}"),
        {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        1,
        "--secrets memory",
    ),
    (
        ("projects", "credentials", "{project}", "--workspace", "{ws}", "--secrets", "file"),
        {PASSPHRASE_ENV: ""},
        1,
        PASSPHRASE_ENV,
    ),
    (
        ("projects", "credentials", "{project}", "--workspace", "{ws}", "--secrets", "file"),
        {PASSPHRASE_ENV: "not the passphrase"},
        1,
        "passphrase",
    ),
]


@pytest.mark.parametrize(
    ("args", "env", "code", "says"),
    BAD_INVOCATIONS,
    ids=[f"{' '.join(row[0][:2])}: {row[3]}" for row in BAD_INVOCATIONS],
)
def test_bad_invocation_is_one_clear_line(
    tmp_path: Path,
    workspace: tuple[Path, str],
    args: tuple[str, ...],
    env: Mapping[str, str],
    code: int,
    says: str,
) -> None:
    path, project_id = workspace
    (tmp_path / "broken.json").write_text("{oops", encoding="utf-8")
    (tmp_path / "garbage.sqlite3").write_bytes(b"this is not a database" * 100)
    names = {
        "ws": str(path),
        "project": project_id,
        "missing": str(tmp_path / "missing.json"),
        "broken": str(tmp_path / "broken.json"),
        "garbage": str(tmp_path / "garbage.sqlite3"),
    }

    result = run_cli(*(arg.format(**names) for arg in args), env=env)

    assert result.code == code, result
    assert says in result.error_line()
    assert result.stdout == ""
    assert "sk_test_1" not in result.stderr  # a malformed -H is not echoed: it may be secret
