"""``workbench accounts connect`` end to end: sign in, send, lose the grant, see why.

Every step is a separate ``workbench`` process on one workspace with an encrypted
secrets file; the local authorization server runs in this process, and the test plays
the browser by following the URL the command prints after ``Open: ``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.cli import CLI_TIMEOUT, cli_env, file_vault, prepare_secrets_file, run_cli
from tests.helpers.oauthserver import CLIENT_ID, CLIENT_SECRET, OAuthServer, oauth_server

USER = "carol@example.com"


@pytest.fixture
def server() -> Iterator[OAuthServer]:
    with oauth_server() as running:
        yield running


def connect(common: tuple[str, ...], env: dict[str, str], *extra: str) -> tuple[dict, str]:
    """Run ``accounts connect --no-browser``, follow its ``Open:`` URL, return its output."""
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "accounts", "connect", "--user", USER,
         "--app", "local_oauth", "--no-browser", "--allow-private-network", "--json",
         *extra, *common],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=cli_env(env), text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        shown: list[str] = []
        while not shown or not shown[-1].startswith("Open: "):
            line = process.stderr.readline()
            assert line, f"exited before printing Open: {''.join(shown)}"
            shown.append(line)
        url = shown[-1].removeprefix("Open: ").strip()
        page = httpx.get(url, follow_redirects=True, trust_env=False, timeout=CLI_TIMEOUT)
        assert page.status_code == 200, page.text
        stdout, rest = process.communicate(timeout=CLI_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    stderr = "".join(shown) + rest
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    return json.loads(stdout), stderr


def test_connect_send_and_lose_the_grant(tmp_path: Path, server: OAuthServer) -> None:
    workspace = tmp_path / "ws.sqlite3"
    env = prepare_secrets_file(workspace)
    common = ("--workspace", str(workspace), "--secrets", "file")
    outputs: list[str] = []
    assert run_cli("projects", "create", "--name", "QA", *common, env=env).code == 0
    app_file = tmp_path / "apps.json"
    app_file.write_text(json.dumps({"schema": 1, "apps": [server.app_dict()]}))
    assert run_cli("apps", "import", str(app_file), *common, env=env).code == 0

    first, stderr = connect(
        common, {**env, "WORKBENCH_OAUTH_CLIENT_SECRET": CLIENT_SECRET}, "--client-id", CLIENT_ID
    )
    outputs.append(stderr + json.dumps(first))
    assert first["app"] == "local_oauth"
    assert first["external_user_id"] == USER
    redirect = next(line for line in stderr.splitlines() if line.startswith("Redirect URI"))
    assert "http://127.0.0.1:" in redirect
    assert [line for line in stderr.splitlines() if line.startswith("Open: ")] != []

    # The client id, its secret and the redirect port are remembered for the app.
    second, stderr = connect(common, env, "--scope", "profile")
    outputs.append(stderr + json.dumps(second))
    assert redirect in stderr
    assert server.state.token_requests[-1]["client_id"] == CLIENT_ID

    sent = run_cli("send", "--user", USER, "--account", first["id"], "GET", "/api/me", *common,
                   env=env)  # fmt: skip
    outputs.append(sent.stdout + sent.stderr)
    assert sent.code == 0, sent

    server.state.revoke_all()
    refused = run_cli("send", "--user", USER, "--account", first["id"], "GET", "/api/me",
                      *common, env=env)  # fmt: skip
    outputs.append(refused.stdout + refused.stderr)
    assert refused.code == 3, refused
    assert "oauth_refresh_failed" in refused.error_line()
    listed = run_cli("accounts", "list", "--app", "local_oauth", *common, env=env)
    outputs.append(listed.stdout)
    row = next(line for line in listed.stdout.splitlines() if first["id"] in line)
    assert "invalid_grant" in row

    tokens = file_vault(workspace).credentials(first["id"])
    assert tokens["oauth_client_id"] == CLIENT_ID
    dump = workspace.read_bytes()
    for secret in [*server.issued(), CLIENT_SECRET]:
        assert secret.encode() not in dump
        assert all(secret not in output for output in outputs)


def test_connect_refuses_what_it_cannot_use(tmp_path: Path, server: OAuthServer) -> None:
    workspace = tmp_path / "ws.sqlite3"
    env = prepare_secrets_file(workspace)
    common = ("--workspace", str(workspace), "--secrets", "file")
    assert run_cli("projects", "create", "--name", "QA", *common, env=env).code == 0

    keys_app = run_cli("accounts", "connect", "--user", USER, "--app", "stripe", *common, env=env)
    assert keys_app.code == 2
    assert "use 'workbench accounts add'" in keys_app.error_line()
    no_client = run_cli("accounts", "connect", "--user", USER, "--app", "slack", *common, env=env)
    assert no_client.code == 2
    assert "--client-id" in no_client.error_line()
    no_secret = run_cli(
        "accounts",
        "connect",
        "--user",
        USER,
        "--app",
        "slack",
        "--client-id",
        "x",
        *common,
        env=env,
    )
    assert no_secret.code == 2
    assert "WORKBENCH_OAUTH_CLIENT_SECRET" in no_secret.error_line()
    typed_token_field = run_cli(
        "accounts", "connect", "--user", USER, "--app", "salesforce", "--client-id", "x",
        "--field", "instance_host=evil.example", *common, env=env,
    )  # fmt: skip
    assert typed_token_field.code == 2
    assert "comes from Salesforce's token response" in typed_token_field.error_line()


def test_connect_opens_the_system_browser_when_it_can(
    tmp_path: Path,
    server: OAuthServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In process, with the opener replaced: no test ever starts a real browser.
    from workbench.cli import commands, connect

    workspace = tmp_path / "ws.sqlite3"
    env = prepare_secrets_file(workspace)
    for name, value in {**env, "WORKBENCH_OAUTH_CLIENT_SECRET": CLIENT_SECRET}.items():
        monkeypatch.setenv(name, value)
    common = ["--workspace", str(workspace), "--secrets", "file"]
    app_file = tmp_path / "apps.json"
    app_file.write_text(json.dumps({"schema": 1, "apps": [server.app_dict()]}))
    assert commands.run(["projects", "create", "--name", "QA", *common]) == 0
    assert commands.run(["apps", "import", str(app_file), *common]) == 0
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, trust_env=False), daemon=True
        ).start()
        return True

    monkeypatch.setattr(connect, "open_browser", browser)
    capsys.readouterr()
    code = commands.run(
        ["accounts", "connect", "--user", USER, "--app", "local_oauth", "--client-id",
         CLIENT_ID, "--allow-private-network", "--json", *common]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(opened) == 1
    assert "Open: " not in err
    assert "in your browser" in err
    assert json.loads(out)["app"] == "local_oauth"
