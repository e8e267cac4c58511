"""Fixtures for core tests: the async backend, local servers and an engine harness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from tests.helpers.servers import RawServer, echo
from workbench.core.accounts import Account, InMemoryAccounts
from workbench.core.catalog import App, ConnectSpec, FieldSpec, Injection
from workbench.core.engine import ProxyEngine
from workbench.core.events import ExchangeEvent
from workbench.core.exchange import ProxyRequest, ProxyResult
from workbench.core.ratelimit import RateBudget

CANARY = "sk_test_CANARY_5f3a9c1e7b"
PROJECT = "proj_test"
USER = "user-a"
ACCOUNT = "apn_testA"


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def anyio_backend() -> str:
    """The engine is asyncio-only (asyncio.timeout, loop.getaddrinfo)."""
    return "asyncio"


def make_app(
    authority: str,
    *,
    injection: Sequence[Injection] = (
        Injection("header", name="Authorization", template="Bearer {{credentials.api_key}}"),
    ),
    credentials: Sequence[str] = ("api_key",),
    slug: str = "local",
    base: str | None = None,
    allowed: Sequence[str] | None = None,
    custom_fields: Sequence[FieldSpec] = (),
    proxy_enabled: bool = True,
    static_headers: Sequence[tuple[str, str]] = (),
) -> App:
    """A keys app whose allowed domain is exactly ``authority`` (a local server)."""
    return App(
        name_slug=slug,
        name=slug.title(),
        auth_type="keys",
        connect=ConnectSpec(
            proxy_enabled=proxy_enabled,
            allowed_domains=tuple(allowed if allowed is not None else (authority,)),
            base_proxy_target_url=base if base is not None else f"http://{authority}",
        ),
        credentials=tuple(FieldSpec(name, name, secret=True) for name in credentials),
        custom_fields=tuple(custom_fields),
        injection=tuple(injection),
        static_headers=tuple(static_headers),
        origin="sandbox",
    )


class Apps(dict[str, App]):
    """A minimal catalog: ``get(slug)`` is all the engine needs."""


@dataclass
class Harness:
    """An engine over in-memory accounts with one app, and the events it published."""

    engine: ProxyEngine
    accounts: InMemoryAccounts
    apps: Apps
    events: list[ExchangeEvent] = field(default_factory=list)

    def add_account(
        self,
        account_id: str = ACCOUNT,
        *,
        app: str = "local",
        user: str = USER,
        project: str = PROJECT,
        secrets: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Account:
        """Store an account (private networks allowed unless told otherwise)."""
        fields.setdefault("allow_private_network", True)
        account = Account(account_id, project, app, user, **fields)
        return self.accounts.add(account, {"api_key": CANARY} if secrets is None else secrets)

    def request(self, url: str = "/echo", **overrides: Any) -> ProxyRequest:
        """A request for the default account; keywords override any field."""
        base = ProxyRequest(PROJECT, USER, ACCOUNT, "GET", url)
        return replace(base, **overrides)

    async def send(self, url: str = "/echo", **overrides: Any) -> ProxyResult:
        """Send ``request(url, **overrides)`` through the engine."""
        return await self.engine.send(self.request(url, **overrides))


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def harness_factory() -> AsyncIterator[HarnessFactory]:
    """Builds harnesses: ``await make(app, budget=..., deadline=...)``; closes them after."""
    made: list[Harness] = []

    async def make(
        *apps: App,
        account: bool = True,
        secrets: Mapping[str, str] | None = None,
        **engine_options: Any,
    ) -> Harness:
        engine_options.setdefault("budget", RateBudget(limit=10_000))
        accounts = InMemoryAccounts()
        catalog = Apps({app.name_slug: app for app in apps})
        harness = Harness(
            ProxyEngine(catalog, accounts, accounts, **engine_options), accounts, catalog
        )
        harness.engine.events.subscribe(harness.events.append)
        if account and apps:
            harness.add_account(app=apps[0].name_slug, secrets=secrets)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.engine.aclose()


@pytest.fixture
async def echo_server() -> AsyncIterator[RawServer]:
    """A keep-alive server answering every request with a JSON echo of it."""
    async with RawServer(echo) as server:
        yield server


@pytest.fixture
async def echo_harness(harness_factory: HarnessFactory, echo_server: RawServer) -> Harness:
    """An engine with the default bearer app pointed at ``echo_server``."""
    return await harness_factory(make_app(echo_server.authority))
