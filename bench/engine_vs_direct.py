"""Engine overhead: the same local upstream called directly with httpx and through ProxyEngine.

One tiny keep-alive HTTP server runs in a child process (so it does not share the GIL
with the client). Requests are sent one at a time, in interleaved batches (direct, engine,
engine, direct, ...) so that drift in machine load hits both sides alike. Prints requests/s
for each side, their ratio, and the engine's added latency at p50 and p99 (engine
percentile minus direct percentile). Targets: ratio >= 0.80, added p50 < 0.5 ms.

    python -m bench engine_vs_direct --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import httpx

from workbench.core.accounts import Account, InMemoryAccounts
from workbench.core.catalog import App, ConnectSpec, FieldSpec, Injection
from workbench.core.engine import ProxyEngine
from workbench.core.exchange import ProxyRequest
from workbench.core.ratelimit import RateBudget

BODY = b'{"ok":true,"items":[1,2,3]}'
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)
TOKEN = "sk_bench_0123456789"
PATH = "/v1/items?page="  # + a running number: no request repeats a URL
TARGET_RATIO = 0.80
TARGET_ADDED_P50_MS = 0.5


class _Upstream(asyncio.Protocol):
    """Answers every request head with the same response (bodies are not expected)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        self.pending += data
        count = self.pending.count(b"\r\n\r\n")
        if count:
            self.pending = self.pending.rsplit(b"\r\n\r\n", 1)[1]
            self.transport.write(RESPONSE * count)


def _serve(ready: Connection) -> None:
    """The child process: serve on a free port and send the port number back."""

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(_Upstream, "127.0.0.1", 0)
        ready.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(run())


@dataclass
class Side:
    """The measurements of one way of sending."""

    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the latencies."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


Send = Callable[[], Awaitable[int]]


async def _batch(send: Send, count: int, side: Side | None = None) -> None:
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        status = await send()
        if side is not None:
            side.latencies_ms.append((time.perf_counter() - t0) * 1000.0)
        if status != 200:
            raise RuntimeError(f"unexpected status {status}")
    if side is not None:
        side.seconds += time.perf_counter() - started


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

        await _batch(direct, warmup)
        await _batch(proxied, warmup)
        sides = (Side(), Side())
        pairs: list[tuple[Send, Side]] = [(direct, sides[0]), (proxied, sides[1])]
        for number, start in enumerate(range(0, requests, batch)):
            count = min(batch, requests - start)
            for send, side in pairs if number % 2 == 0 else pairs[::-1]:
                await _batch(send, count, side)
    return sides


def report(direct: Side, engine: Side) -> bool:
    """Print the table; return whether both targets were met."""
    ratio = engine.rate / direct.rate
    print(
        f"engine_vs_direct: {len(direct.latencies_ms)} sequential requests each way, "
        "keep-alive, local upstream in a child process"
    )
    print(f"{'':<22}{'direct':>12}{'engine':>12}{'engine/direct':>16}")
    print(f"{'requests/s':<22}{direct.rate:>12.0f}{engine.rate:>12.0f}{ratio:>16.2f}")
    added_p50 = engine.percentile(0.5) - direct.percentile(0.5)
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        d, e = direct.percentile(fraction), engine.percentile(fraction)
        print(f"{'latency ' + label + ' (ms)':<22}{d:>12.3f}{e:>12.3f}{e - d:>+16.3f}")
    mean_added = statistics.fmean(engine.latencies_ms) - statistics.fmean(direct.latencies_ms)
    print(f"{'mean added (ms)':<22}{'':>24}{mean_added:>+16.3f}")
    ok = ratio >= TARGET_RATIO and added_p50 < TARGET_ADDED_P50_MS
    print(
        f"targets: throughput >= {TARGET_RATIO:.0%} of direct, added p50 < "
        f"{TARGET_ADDED_P50_MS} ms: {'met' if ok else 'MISSED'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table (exit status 0 either way)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench engine_vs_direct",
        description="Engine overhead against direct httpx on one local upstream.",
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests each way (2000)")
    parser.add_argument("--batch", type=int, default=100, help="requests per interleaved batch")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests each way first")
    options = parser.parse_args(argv)
    if options.requests < 1 or options.batch < 1 or options.warmup < 0:
        parser.error("--requests and --batch must be positive, --warmup not negative")
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    upstream = context.Process(target=_serve, args=(sender,), daemon=True)
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
