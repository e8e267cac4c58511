"""Keeping OAuth accounts working: refresh before expiry, after a 401, once, or fail clearly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from tests.core.oauth.conftest import World
from tests.helpers.oauthserver import CLIENT_SECRET
from workbench.core.errors import ProxyError
from workbench.core.events import ExchangeEvent
from workbench.core.oauth.tokens import ACCESS_TOKEN

pytestmark = pytest.mark.anyio


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def remaining(world: World, engine: object) -> int:
    return engine.budget_snapshot(world.project_id).remaining  # type: ignore[attr-defined]


async def test_a_token_about_to_expire_is_renewed_before_sending(world: World) -> None:
    account = await world.connect()
    first = world.connections.vault.credentials(account.id)[ACCESS_TOKEN]
    async with world.engine() as engine:
        assert (await engine.send(world.request(account))).timings.refresh_ms == 0
        world.clock.advance(3600 - 30)  # inside the 60 s leeway
        result = await engine.send(world.request(account))
        assert result.status == 200
        assert result.timings.refresh_ms > 0
        assert result.timings.to_dict()["refresh_ms"] == result.timings.refresh_ms
        assert remaining(world, engine) == 998  # two requests, the refresh is not one
    renewed = world.connections.vault.credentials(account.id)[ACCESS_TOKEN]
    assert world.server.state.refreshes == 1
    assert renewed != first
    assert world.server.state.api_calls == [first, renewed]


async def test_a_401_is_answered_by_one_refresh_and_one_retry(world: World) -> None:
    account = await world.connect()
    stale = world.connections.vault.credentials(account.id)[ACCESS_TOKEN]
    world.server.state.expire_access_tokens()  # the provider ended it early
    events: list[ExchangeEvent] = []
    async with world.engine() as engine:
        engine.events.subscribe(events.append)
        result = await engine.send(world.request(account))
        assert result.status == 200
        assert remaining(world, engine) == 999  # the refused attempt and its retry: one
    fresh = world.connections.vault.credentials(account.id)[ACCESS_TOKEN]
    assert world.server.state.api_calls == [stale, fresh]
    assert world.server.state.refreshes == 1
    assert result.timings.refresh_ms > 0
    assert len(events) == 1
    assert stale not in repr(events[0])
    assert fresh not in repr(events[0])


async def test_a_second_401_is_relayed_not_refreshed_again(world: World) -> None:
    account = await world.connect()
    world.server.state.api_refuses = True
    async with world.engine() as engine:
        result = await engine.send(world.request(account))
    assert result.status == 401  # the upstream's own answer, after one refresh
    assert world.server.state.refreshes == 1
    assert len(world.server.state.api_calls) == 2


async def test_a_revoked_refresh_token_marks_the_account_unhealthy(world: World) -> None:
    account = await world.connect()
    world.server.state.revoke_all()
    async with world.engine() as engine:
        with pytest.raises(ProxyError) as failed:
            await engine.send(world.request(account))
        assert remaining(world, engine) == 999  # the refused attempt went out
        assert (failed.value.status, failed.value.code) == (401, "oauth_refresh_failed")
        assert "invalid_grant" in failed.value.message
        stored = world.connections.find_account(account.id)
        assert stored is not None
        assert stored.healthy is False
        assert "invalid_grant" in stored.health_detail
        assert "connect it again" in stored.health_detail
        # Expired as well: the refresh comes first, fails, and nothing is sent or spent.
        world.clock.advance(7200)
        with pytest.raises(ProxyError, match="could not be refreshed"):
            await engine.send(world.request(account))
        assert remaining(world, engine) == 999
    assert len(world.server.state.api_calls) == 1


async def test_concurrent_requests_share_one_refresh(world: World) -> None:
    account = await world.connect()
    world.clock.advance(3600)
    async with world.engine() as engine:
        results = await asyncio.gather(*(engine.send(world.request(account)) for _ in range(4)))
    assert [result.status for result in results] == [200] * 4
    assert world.server.state.refreshes == 1


async def test_two_processes_refreshing_one_account_refresh_once(world: World) -> None:
    # Two refreshers over one workspace stand for two processes: the lock file makes the
    # second wait, and it then uses the first one's tokens (rotation spends a refresh
    # token once, so a second refresh would fail and mark a healthy account unhealthy).
    account = await world.connect()
    world.clock.advance(3600)
    world.server.state.gate.clear()  # hold the first refresh at the token URL
    async with world.engine() as one, world.engine() as two:
        first = asyncio.ensure_future(one.send(world.request(account)))
        second = asyncio.ensure_future(two.send(world.request(account)))
        await until(lambda: world.server.state.arrivals == 2)
        await asyncio.sleep(0.1)  # the second one waits for the lock meanwhile
        world.server.state.gate.set()
        results = await asyncio.gather(first, second)
    assert [result.status for result in results] == [200, 200]
    assert world.server.state.refreshes == 1
    stored = world.connections.find_account(account.id)
    assert stored is not None
    assert stored.healthy is not False


async def test_an_unreachable_token_url_leaves_the_account_healthy(world: World) -> None:
    account = await world.connect()
    world.server.state.token_status = 503
    async with world.engine() as engine:
        world.clock.advance(3600 - 30)  # due, not yet expired: the old token still serves
        assert (await engine.send(world.request(account))).status == 200
        world.clock.advance(60)  # expired: no way to send
        with pytest.raises(ProxyError) as failed:
            await engine.send(world.request(account))
    assert (failed.value.status, failed.value.code) == (502, "oauth_refresh_unavailable")
    assert "HTTP 503" in failed.value.message
    stored = world.connections.find_account(account.id)
    assert stored is not None
    assert stored.healthy is None


async def test_an_account_removed_during_its_refresh_leaves_no_secret_behind(world: World) -> None:
    account = await world.connect()
    world.clock.advance(3600)
    world.server.state.gate.clear()
    async with world.engine() as engine:
        sending = asyncio.ensure_future(engine.send(world.request(account)))
        await until(lambda: world.server.state.arrivals == 2)  # the code, then the refresh
        world.connections.remove_account(account.id)
        world.server.state.gate.set()
        with pytest.raises(ProxyError) as failed:
            await sending
    assert failed.value.code == "account_not_found"
    assert world.connections.vault.credentials(account.id) == {}


async def test_no_secret_reaches_logs_errors_events_or_the_workspace(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    events: list[ExchangeEvent] = []
    errors: list[str] = []
    account = await world.connect()
    async with world.engine() as engine:
        engine.events.subscribe(events.append)
        world.server.state.expire_access_tokens()
        await engine.send(world.request(account))
        world.clock.advance(3600)
        await engine.send(world.request(account))
        world.server.state.revoke_all()
        world.clock.advance(3600)
        with pytest.raises(ProxyError) as failed:
            await engine.send(world.request(account))
        errors.append(failed.value.message)
    stored = world.connections.find_account(account.id)
    assert stored is not None
    errors.append(stored.health_detail)
    forms = world.server.state.token_requests
    secrets = [
        *world.server.issued(),
        CLIENT_SECRET,
        *(form["code"] for form in forms if "code" in form),
        *(form["code_verifier"] for form in forms if "code_verifier" in form),
    ]
    # Not ours: the test server's loggers (Authlib's server side, werkzeug) and the test
    # browser's (httpcore, and httpx's line for each GET: the workbench only POSTs).
    ours = [
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("authlib.oauth2.rfc6749", "werkzeug", "httpcore"))
        and not record.getMessage().startswith("HTTP Request: GET")
    ]
    texts = [*ours, *errors, *(repr(event) for event in events)]
    dump = world.connections.workspace.path.read_bytes()
    assert len(secrets) >= 8
    for secret in secrets:
        assert all(secret not in text for text in texts), [t for t in texts if secret in t]
        assert secret.encode() not in dump
