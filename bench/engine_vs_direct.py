"""Engine overhead: the same local upstream called directly with httpx and through ProxyEngine.

One tiny keep-alive HTTP server runs in a child process (so it does not share the GIL
with the client). Requests are sent one at a time, in interleaved batches (direct, engine,
engine, direct, ...) so that drift in machine load hits both sides alike. Prints requests/s
for each side, their ratio, and the engine's added latency at p50 and p99 (engine
percentile minus direct percentile). Targets: ratio >= 0.80, added p50 < 0.5 ms.

    python -m bench engine_vs_direct --requests 2000
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing

import httpx

from bench._common import (
    PATH,
    TOKEN,
    Side,
    interleave,
    parse_options,
    print_comparison,
    serve_upstream,
)
from workbench.core.accounts import Account, InMemoryAccounts
from workbench.core.catalog import App, ConnectSpec, FieldSpec, Injection
from workbench.core.engine import ProxyEngine
from workbench.core.exchange import ProxyRequest
from workbench.core.ratelimit import RateBudget

TARGET_RATIO = 0.80
TARGET_ADDED_P50_MS = 0.5


def _engine(authority: str) -> ProxyEngine:
    app = App(
        name_slug="bench",
        name="Bench",
        auth_type="keys",
        connect=ConnectSpec(True, (authority,), f"http://{authority}"),
        credentials=(FieldSpec("api_key", "API key", secret=True),),
        injection=(
            Injection("header", name="Authorization", template="Bearer {{credentials.api_key}}"),
        ),
    )
    accounts = InMemoryAccounts()
    accounts.add(Account("apn_bench", "proj_bench", "bench", "user"), {"api_key": TOKEN})
    budget = RateBudget(limit=10**9)  # never 429 during the run
    return ProxyEngine(
        {"bench": app}, accounts, accounts, budget=budget, allow_private_networks=True
    )


async def measure(port: int, requests: int, batch: int, warmup: int) -> tuple[Side, Side]:
    """Send ``requests`` each way in interleaved batches; return (direct, engine)."""
    authority = f"127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    pages = itertools.count()
    async with httpx.AsyncClient(trust_env=False) as client, _engine(authority) as engine:

        async def direct() -> int:
            url = f"http://{authority}{PATH}{next(pages)}"
            return (await client.get(url, headers=headers)).status_code

        async def proxied() -> int:
            path = f"{PATH}{next(pages)}"
            request = ProxyRequest("proj_bench", "user", "apn_bench", "GET", path)
            return (await engine.send(request)).status

        return await interleave(direct, proxied, requests, batch, warmup)


def report(direct: Side, engine: Side) -> bool:
    """Print the table; return whether both targets were met."""
    setup = "local upstream in a child process"
    ratio = print_comparison("engine_vs_direct", setup, direct, engine, "engine")
    added_p50 = engine.percentile(0.5) - direct.percentile(0.5)
    ok = ratio >= TARGET_RATIO and added_p50 < TARGET_ADDED_P50_MS
    print(
        f"targets: throughput >= {TARGET_RATIO:.0%} of direct, added p50 < "
        f"{TARGET_ADDED_P50_MS} ms: {'met' if ok else 'MISSED'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table (exit status 0 either way)."""
    options = parse_options(
        "engine_vs_direct", "Engine overhead against direct httpx on one local upstream.", argv
    )
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    upstream = context.Process(target=serve_upstream, args=(sender,), daemon=True)
    upstream.start()
    try:
        if not receiver.poll(15):
            raise SystemExit("the benchmark upstream did not start")
        port = receiver.recv()
        direct, engine = asyncio.run(measure(port, options.requests, options.batch, options.warmup))
    finally:
        upstream.terminate()
        upstream.join(5)
    report(direct, engine)
    return 0
