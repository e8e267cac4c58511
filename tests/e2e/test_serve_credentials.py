"""``workbench serve`` and secrets across processes: rotation revokes, and credentials stay home.

A rotation by ``workbench projects credentials --rotate`` (one process) revokes the
tokens a server (another process) issued; ``include_credentials=true`` returns account
secrets only from a server started with ``--allow-credentials``, tried with the SDK.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pipedream import Pipedream
from pipedream.core.api_error import ApiError

from tests.e2e.shared import SECRET, SharedWorkspace, fetch_token, make_shared_workspace, servers
from tests.helpers.cli import RunningCli, run_cli
from tests.helpers.rest import request_token, users_status

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path: Path, upstream: str) -> SharedWorkspace:
    return make_shared_workspace(tmp_path, upstream)


def test_a_rotation_in_another_process_revokes_the_servers_tokens(
    workspace: SharedWorkspace,
) -> None:
    with servers(workspace, 2) as (first, second):
        assert users_status(first.base_url, workspace.project_id, first.token) == 200
        assert users_status(second.base_url, workspace.project_id, first.token) == 200

        rotated = run_cli(
            "projects", "credentials", workspace.project_id, "--rotate", *workspace.common,
            "--json", env=workspace.env,
        )  # fmt: skip
        assert rotated.code == 0, rotated
        new_secret = rotated.json()["client_secret"]

        for server in (first, second):
            for token in (first.token, second.token):
                assert users_status(server.base_url, workspace.project_id, token) == 401
        fresh = fetch_token(first.base_url, workspace.client_id, new_secret)
        assert users_status(second.base_url, workspace.project_id, fresh) == 200
        old_secret = request_token(first.base_url, workspace.client_id, workspace.client_secret)
        assert old_secret.status_code == 401


def sdk(base_url: str, workspace: SharedWorkspace, http: httpx.Client) -> Pipedream:
    return Pipedream(
        base_url=base_url,
        project_id=workspace.project_id,
        client_id=workspace.client_id,
        client_secret=workspace.client_secret,
        project_environment="development",
        max_retries=0,
        httpx_client=http,
    )


def banner_of(cli: RunningCli) -> tuple[str, str]:
    """The text banner of ``serve`` and the base URL it names."""
    text = cli.read_until("Press Ctrl+C")
    base_url = text.split("listening on ", 1)[1].split()[0]
    return text, base_url


def test_include_credentials_needs_allow_credentials(workspace: SharedWorkspace) -> None:
    with (
        httpx.Client(trust_env=False, timeout=30) as http,
        RunningCli("serve", *workspace.common, env=workspace.env) as plain,
    ):
        text, base_url = banner_of(plain)
        assert "include_credentials=true gets 403" in text
        assert "--allow-credentials" in text
        client = sdk(base_url, workspace, http)
        with pytest.raises(ApiError) as caught:
            client.accounts.retrieve(workspace.account_id, include_credentials=True)
        assert caught.value.status_code == 403
        assert "workbench serve --allow-credentials" in str(caught.value.body)
        assert SECRET not in str(caught.value.body)
        without = client.accounts.retrieve(workspace.account_id)
        assert without.credentials is None

    with (
        httpx.Client(trust_env=False, timeout=30) as http,
        RunningCli(
            "serve", *workspace.common, "--allow-credentials", env=workspace.env
        ) as allowing,
    ):
        text, base_url = banner_of(allowing)
        assert "include_credentials=true RETURNS account secrets" in text
        got = sdk(base_url, workspace, http).accounts.retrieve(
            workspace.account_id, include_credentials=True
        )
        assert got.credentials is not None
        assert got.credentials.model_dump()["api_token"] == SECRET


def test_serve_json_says_whether_credentials_are_allowed(workspace: SharedWorkspace) -> None:
    with (
        servers(workspace, 1) as (plain,),
        servers(workspace, 1, "--allow-credentials") as (allowing,),
    ):
        assert plain.info["allow_credentials"] is False
        assert allowing.info["allow_credentials"] is True
