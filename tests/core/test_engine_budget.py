"""The engine and the rate budget: request 1,001 is refused before any upstream traffic.

A request counts once it passed every check and the engine is about to contact the
upstream; refusals before any byte is sent spend nothing, failures on the network count.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.conftest import PROJECT, FakeClock, HarnessFactory, make_app
from tests.helpers.servers import RawServer, refused_port
from workbench.core.errors import ProxyError
from workbench.core.ratelimit import RateBudget

pytestmark = pytest.mark.anyio


async def test_request_1001_in_the_window_is_429(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    clock = FakeClock()
    budget = RateBudget(clock=clock)  # Pipedream's 1,000 per 300 s
    harness = await harness_factory(make_app(echo_server.authority), budget=budget)
    harness.add_account("apn_other", project="proj_other", user="other-user")
    for _ in range(999):
        budget.take(PROJECT)  # 999 earlier requests of this project
    clock.advance(30)

    thousandth = await harness.send("/x")
    assert thousandth.status == 200
    assert thousandth.budget is not None
    assert thousandth.budget.remaining == 0
    assert thousandth.budget.resets_at == clock.now - 30 + 300
    requests_before = len(echo_server.requests)

    with pytest.raises(ProxyError) as caught:
        await harness.send("/x")
    error = caught.value
    assert (error.status, error.code, error.retry_after) == (429, "rate_limited", 270)
    assert error.to_dict()["retry_after"] == 270
    assert len(echo_server.requests) == requests_before  # nothing went upstream
    refused = harness.events[-1]
    assert (refused.status, refused.error_code) == (429, "rate_limited")
    assert refused.budget is not None
    assert refused.budget.remaining == 0

    other = await harness.send(
        "/x", account_id="apn_other", project_id="proj_other", external_user_id="other-user"
    )
    assert other.status == 200
    assert harness.engine.budget_snapshot("proj_other").remaining == 999

    clock.advance(270)  # the 999 early requests leave the window
    assert (await harness.send("/x")).status == 200
    assert harness.engine.budget_snapshot(PROJECT).remaining == 998


async def test_both_environments_share_the_budget(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(
        make_app(echo_server.authority), budget=RateBudget(2, 300, clock=FakeClock())
    )
    harness.add_account("apn_prod", environment="production")
    await harness.send("/x")
    await harness.send("/x", account_id="apn_prod", environment="production")
    with pytest.raises(ProxyError) as caught:
        await harness.send("/x")
    assert caught.value.code == "rate_limited"


class PrivateResolver:
    """Resolves every name to 127.0.0.1: the network guard refuses it for public accounts."""

    async def __call__(self, host: str, port: int) -> list[str]:
        return ["127.0.0.1"]


async def test_refusals_before_any_byte_spend_nothing(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    clock = FakeClock()
    budget = RateBudget(5, 300, clock=clock)
    public = make_app(
        "api.example.com",
        slug="public",
        base="https://api.example.com",
        allowed=("api.example.com",),
    )
    harness = await harness_factory(
        make_app(echo_server.authority), public, budget=budget, resolver=PrivateResolver()
    )
    harness.add_account("apn_nokey", secrets={})  # its credential is missing
    harness.add_account("apn_public", app="public", allow_private_network=False)
    refusals: list[tuple[str, dict[str, Any], str]] = [
        ("/x", {"account_id": "apn_unknown"}, "account_not_found"),
        ("/x", {"headers": (("Cookie", "a=1"),)}, "restricted_header"),
        ("https://evil.example/x", {}, "domain_not_allowed"),
        ("/x", {"timeout": -1.0}, "bad_timeout"),
        ("/x", {"account_id": "apn_nokey"}, "missing_credential"),
        ("/x", {"account_id": "apn_public"}, "private_address"),  # the guard, after the budget
    ]
    for url, overrides, code in refusals:
        with pytest.raises(ProxyError) as caught:
            await harness.send(url, **overrides)
        assert caught.value.code == code
        assert harness.events[-1].budget is not None
        assert harness.events[-1].budget.remaining == 5, code
    assert budget.peek(PROJECT).remaining == 5
    assert echo_server.requests == []
    sent = await harness.send("/x")
    assert sent.budget is not None
    assert sent.budget.remaining == 4  # a request that reaches the upstream counts


async def test_a_failure_on_the_network_counts(harness_factory: HarnessFactory) -> None:
    budget = RateBudget(5, 300, clock=FakeClock())
    harness = await harness_factory(make_app(f"127.0.0.1:{refused_port()}"), budget=budget)
    with pytest.raises(ProxyError) as caught:
        await harness.send("/x")
    assert caught.value.code == "upstream_unreachable"
    assert budget.peek(PROJECT).remaining == 4
