"""``workbench demo``: the tour, then the REST server on the demo until a signal."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx

from tests.helpers.cli import RunningCli, run_cli
from workbench.core.rules import encode_url64
from workbench.sandbox.demo import ALICE, DEMO_ACCOUNTS, DEMO_PROJECT_ID

SECRETS = [value for account in DEMO_ACCOUNTS for value in account.secrets.values()]


def test_tour_once_shows_ids_and_a_masked_live_request() -> None:
    result = run_cli("demo", "--once")

    assert result.code == 0, result
    assert DEMO_PROJECT_ID in result.stdout
    for account in DEMO_ACCOUNTS:
        assert account.id in result.stdout
    assert "< HTTP 200 OK" in result.stdout
    assert "Bearer sk_d••" in result.stdout
    assert not any(secret in result.stdout for secret in SECRETS)


def test_tour_once_as_json_is_one_value() -> None:
    result = run_cli("demo", "--once", "--json")

    assert result.code == 0, result
    data = result.json()
    assert data["project_id"] == DEMO_PROJECT_ID
    assert [a["id"] for a in data["accounts"]] == [a.id for a in DEMO_ACCOUNTS]
    assert data["request"]["status"] == 200
    assert data["request"]["json"]["auth"]["masked"].startswith("sk_d")
    assert not any(secret in result.stdout for secret in SECRETS)


def test_the_demo_command_runs_the_tour_and_serves_the_sdk_until_ctrl_c() -> None:
    # `workbench` with no command opens the window; the text tour is `workbench demo`.
    with RunningCli("demo") as demo:
        shown = demo.read_until("Press Ctrl+C")
        base_url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", shown)
        client_id = re.search(r"client_id:\s+(\S+)", shown)
        client_secret = re.search(r"client_secret:\s+(\S+)", shown)
        sandbox = re.search(r"Sandbox upstream: (\S+)", shown)
        assert base_url is not None, shown
        assert client_id is not None, shown
        assert client_secret is not None, shown
        assert sandbox is not None, shown
        target = encode_url64(sandbox.group(1) + "/echo/sdk")

        with httpx.Client(base_url=base_url.group(1), trust_env=False) as client:
            token = client.post(
                "/v1/oauth/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": client_id.group(1),
                    "client_secret": client_secret.group(1),
                },
            )
            assert token.status_code == 200, token.text
            proxied = client.get(
                f"/v1/connect/{DEMO_PROJECT_ID}/proxy/{target}",
                params={"external_user_id": ALICE, "account_id": "apn_demoAliceCrm"},
                headers={
                    "Authorization": f"Bearer {token.json()['access_token']}",
                    "x-pd-environment": "development",
                },
            )
        assert proxied.status_code == 200, proxied.text
        assert proxied.json()["auth"]["masked"].startswith("sk_d")

        code, stderr = demo.stop(signal.SIGINT)

    assert code == 130
    assert stderr.strip().splitlines()[-1] == "workbench: error: interrupted"


def test_serve_demo_json_then_sigterm_cleans_up_the_demo_workspace() -> None:
    with RunningCli("demo", "--json") as demo:
        data = json.loads(demo.read_until("\n}\n"))
        workspace = Path(data["workspace"])
        assert workspace.exists()
        assert data["server"]["base_url"].startswith("http://127.0.0.1:")
        assert data["server"]["client_id"].startswith("pd_client_")

        code, _ = demo.stop(signal.SIGTERM)

    assert code == 143
    assert not workspace.exists()
