"""What the benchmarks share: the tiny upstream, timed batches, options and the results table."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from workbench.core.catalog import Catalog, parse_app
from workbench.core.store.connections import Connections
from workbench.core.store.vault import open_vault
from workbench.core.store.workspace import Workspace

BODY = b'{"ok":true,"items":[1,2,3]}'
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)
TOKEN = "sk_bench_0123456789"
BEARER = "Bearer {{credentials.api_key}}"
PATH = "/v1/items?page="  # + a running number: no request repeats a URL


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


def serve_upstream(ready: Connection) -> None:
    """The upstream child process: serve on a free port and send the port number back."""

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(_Upstream, "127.0.0.1", 0)
        ready.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(run())


@dataclass(frozen=True)
class BenchWorkspace:
    """A workspace file and its encrypted secrets file, with one app and one account."""

    catalog: Catalog
    connections: Connections
    project_id: str
    account_id: str
    user: str = "bench-user"


def open_workspace(upstream: str, directory: Path) -> BenchWorkspace:
    """What ``workbench serve --secrets file`` opens, set up for one bearer-token account.

    The app's only allowed domain is ``upstream`` (``127.0.0.1:PORT``), so the account
    opts in to private networks, as a self-hosted API's account would.
    """
    app = parse_app(
        {
            "name_slug": "bench",
            "name": "Bench",
            "auth_type": "keys",
            "connect": {
                "proxy_enabled": True,
                "allowed_domains": [upstream],
                "base_proxy_target_url": f"http://{upstream}",
            },
            "credentials": [{"name": "api_key", "label": "API key"}],
            "injection": [
                {
                    "in": "header",
                    "name": "Authorization",
                    "template": "Bearer {{credentials.api_key}}",
                }
            ],
        },
        origin="sandbox",
    )
    catalog = Catalog([app])
    vault = open_vault("file", path=directory / "bench.secrets", passphrase="bench")
    connections = Connections(Workspace.open(directory / "bench.sqlite3"), vault, catalog)
    project = connections.workspace.create_project("Bench")
    account = connections.add_account(
        project.id, "bench-user", "bench", secrets={"api_key": TOKEN}, allow_private_network=True
    )
    return BenchWorkspace(catalog, connections, project.id, account.id)


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


async def run_batch(send: Send, count: int, side: Side | None = None) -> None:
    """Send ``count`` requests one at a time, timing them into ``side`` when given."""
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


async def interleave(
    direct: Send, proxied: Send, requests: int, batch: int, warmup: int
) -> tuple[Side, Side]:
    """:func:`interleave_all` for two ways of sending; returns (direct, proxied)."""
    first, second = await interleave_all([direct, proxied], requests, batch, warmup)
    return first, second


async def interleave_all(
    sends: Sequence[Send], requests: int, batch: int, warmup: int
) -> list[Side]:
    """Warm each up, then send ``requests`` each way in batches that take turns.

    The order turns every batch and runs backwards every other round (for two: direct,
    proxied, proxied, direct, ...) so that drift in machine load hits every way alike.
    Returns one :class:`Side` per way, in the order given.
    """
    for send in sends:
        await run_batch(send, warmup)
    sides = [Side() for _ in sends]
    ways = list(zip(sends, sides, strict=True))
    for number, start in enumerate(range(0, requests, batch)):
        count = min(batch, requests - start)
        turn = number % len(ways)
        order = ways[turn:] + ways[:turn]
        for send, side in order if (number // len(ways)) % 2 == 0 else order[::-1]:
            await run_batch(send, count, side)
    return sides


def parse_options(name: str, description: str, argv: list[str] | None) -> argparse.Namespace:
    """The options every benchmark takes: ``--requests``, ``--batch`` and ``--warmup``."""
    parser = argparse.ArgumentParser(prog=f"python -m bench {name}", description=description)
    parser.add_argument("--requests", type=int, default=2000, help="requests each way (2000)")
    parser.add_argument("--batch", type=int, default=100, help="requests per interleaved batch")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests each way first")
    options = parser.parse_args(argv)
    if options.requests < 1 or options.batch < 1 or options.warmup < 0:
        parser.error("--requests and --batch must be positive, --warmup not negative")
    return options


def print_comparison(name: str, setup: str, direct: Side, proxied: Side, label: str) -> float:
    """Print the results table of benchmark ``name``; return the throughput ratio.

    Args:
        name: the benchmark, first on the title line.
        setup: where the servers run, for the title line.
        direct: the requests sent straight to the upstream.
        proxied: the requests sent through what is measured.
        label: the column name for ``proxied`` (``engine``, ``server``).
    """
    print(f"{name}: {len(direct.latencies_ms)} sequential requests each way, keep-alive, {setup}")
    ratio = proxied.rate / direct.rate
    print(f"{'':<22}{'direct':>12}{label:>12}{label + '/direct':>16}")
    print(f"{'requests/s':<22}{direct.rate:>12.0f}{proxied.rate:>12.0f}{ratio:>16.2f}")
    for row, fraction in (("p50", 0.5), ("p99", 0.99)):
        d, p = direct.percentile(fraction), proxied.percentile(fraction)
        print(f"{'latency ' + row + ' (ms)':<22}{d:>12.3f}{p:>12.3f}{p - d:>+16.3f}")
    mean_added = statistics.fmean(proxied.latencies_ms) - statistics.fmean(direct.latencies_ms)
    print(f"{'mean added (ms)':<22}{'':>24}{mean_added:>+16.3f}")
    return ratio
