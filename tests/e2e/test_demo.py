"""The demo end to end: sandbox, fresh workspace, memory vault, engine, fixed ids."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest

from workbench.core.catalog import Catalog
from workbench.core.errors import ProxyError
from workbench.core.events import ExchangeEvent
from workbench.core.exchange import ProxyRequest
from workbench.sandbox.apps import SANDBOX_SLUGS
from workbench.sandbox.demo import (
    ALICE,
    BOB,
    DEMO_ACCOUNTS,
    DEMO_PROJECT_ID,
    DEMO_USERS,
    Demo,
    DemoAccount,
    open_demo,
)

pytestmark = pytest.mark.anyio

MASK = "••••••••"
# What the sandbox echo must show for each account: where the credential arrived, masked.
SHOWN = "sk_d" + MASK
EXPECTED_AUTH = {
    "apn_demoAliceCrm": {"scheme": "bearer", "where": "header authorization", "masked": SHOWN},
    "apn_demoAliceDesk": {"scheme": "api-key", "where": "header x-api-key", "masked": SHOWN},
    "apn_demoBobWeather": {"scheme": "query", "where": "query api_key", "masked": SHOWN},
    "apn_demoCarolFiles": {"scheme": "basic", "where": "header authorization", "masked": SHOWN,
                           "username": "caro" + MASK},
}  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def request_for(demo: Demo, account: DemoAccount, url: str, **extra: object) -> ProxyRequest:
    return ProxyRequest(
        project_id=demo.project_id,
        external_user_id=account.external_user_id,
        account_id=account.id,
        method="GET",
        url=url,
        origin="cli",
        **extra,  # type: ignore[arg-type]
    )


async def test_demo_has_fixed_ids_and_the_full_catalog() -> None:
    async with open_demo() as demo:
        workspace = demo.workspace
        assert demo.project_id == DEMO_PROJECT_ID == "proj_demo"
        assert [p.id for p in workspace.list_projects()] == [DEMO_PROJECT_ID]
        users = {u.external_id for u in workspace.list_users(DEMO_PROJECT_ID)}
        assert users == set(DEMO_USERS)
        assert users == {"alice@example.com", "bob@example.com", "carol@example.com"}
        accounts = {a.id: a for a in workspace.list_accounts(DEMO_PROJECT_ID)}
        assert set(accounts) == {
            "apn_demoAliceCrm", "apn_demoAliceDesk", "apn_demoBobWeather", "apn_demoCarolFiles"
        }  # fmt: skip
        assert all(account_id.startswith("apn_") for account_id in accounts)
        assert len(workspace.list_accounts(DEMO_PROJECT_ID, external_user_id=ALICE)) == 2
        assert {a.app_slug for a in accounts.values()} == set(SANDBOX_SLUGS)
        for stored in accounts.values():
            assert stored.environment == "development"
            assert stored.allow_private_network
        assert accounts["apn_demoAliceDesk"].custom_fields == {"tenant": "acme"}

        assert len(demo.catalog) == len(Catalog.load_builtin()) + len(SANDBOX_SLUGS)
        assert demo.catalog.get("github") is not None
        assert (demo.vault.kind, demo.vault.persistent) == ("memory", False)
        assert demo.base_url == f"http://{demo.sandbox.authority}"

        described = json.dumps(demo.describe())
        assert [a["id"] for a in demo.describe()["accounts"]] == [a.id for a in DEMO_ACCOUNTS]
        for account in DEMO_ACCOUNTS:
            for secret in account.secrets.values():
                assert secret not in described


async def test_every_demo_account_reaches_the_sandbox_with_its_credential_masked() -> None:
    events: list[ExchangeEvent] = []
    async with open_demo() as demo:
        demo.engine.events.subscribe(events.append)
        for account in DEMO_ACCOUNTS:
            dynamic = account.app_slug == "sandbox_keyheader"
            url = "/v1/demo?x=1" if dynamic else "/echo/demo?x=1"
            result = await demo.engine.send(request_for(demo, account, url))
            assert result.status == 200, (account.id, result.body[:200])
            echo = json.loads(result.body)
            assert echo["auth"] == EXPECTED_AUTH[account.id], account.id
            assert echo["path"] == ("/tenants/acme/v1/demo" if dynamic else "/echo/demo")
            assert echo.get("tenant") == ("acme" if dynamic else None)
            assert ["x", "1"] in echo["query"]  # the caller's query survives injection
            exposed = result.body.decode() + result.url + json.dumps(result.request_headers)
            for secret in account.secrets.values():
                assert secret not in exposed, account.id
        header = dict(
            json.loads((await demo.engine.send(request_for(demo, DEMO_ACCOUNTS[1], "/v1/x"))).body)[
                "headers"
            ]
        )
        assert header["x-sandbox-version"] == "2024-06-01"  # the app's static header

    assert len(events) == len(DEMO_ACCOUNTS) + 1
    event_text = repr(events)
    for account in DEMO_ACCOUNTS:
        for secret in account.secrets.values():
            assert secret not in event_text


async def test_verification_marks_every_demo_account_healthy() -> None:
    async with open_demo() as demo:
        for account in DEMO_ACCOUNTS:
            verified = await demo.connections.verify_account(demo.engine, account.id)
            assert verified.healthy is True, verified.health_detail
            assert verified.health_detail.startswith("HTTP 200")


async def test_another_users_account_is_not_found() -> None:
    async with open_demo() as demo:
        alice_crm = DEMO_ACCOUNTS[0]
        stolen = ProxyRequest(
            project_id=demo.project_id,
            external_user_id=BOB,
            account_id=alice_crm.id,
            method="GET",
            url="/echo",
        )
        with pytest.raises(ProxyError) as refused:
            await demo.engine.send(stolen)
        assert (refused.value.status, refused.value.code) == (404, "account_not_found")


async def test_demo_secrets_stay_out_of_the_workspace_file() -> None:
    async with open_demo() as demo:
        data = b""
        async for path in anyio.Path(demo.workspace.path.parent).iterdir():
            data += await path.read_bytes()  # the database, its WAL and shared memory
        assert data
        for account in DEMO_ACCOUNTS:
            assert dict(demo.connections.credentials(account.id)) == dict(account.secrets)
            for secret in account.secrets.values():
                assert secret.encode() not in data


async def test_each_start_is_fresh_and_everything_is_removed_on_exit() -> None:
    async with open_demo() as first:
        first_path = anyio.Path(first.workspace.path)
        first_url = first.base_url
        first.connections.add_account(
            first.project_id, "dave@example.com", "sandbox_query", secrets={"api_key": "k" * 12}
        )
        assert await first_path.exists()
    assert not await first_path.exists()
    assert not await first_path.parent.exists()
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(first_url + "/echo")

    async with open_demo() as second:
        assert second.workspace.path != Path(first_path)
        users = {u.external_id for u in second.workspace.list_users(DEMO_PROJECT_ID)}
        assert users == set(DEMO_USERS)
        assert len(second.workspace.list_accounts(DEMO_PROJECT_ID)) == len(DEMO_ACCOUNTS)
