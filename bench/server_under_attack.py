"""Another client's latency while the REST server is under each resource attack.

Three processes: the real ``workbench serve --demo`` (a subprocess, default limits of
``workbench/server/limits.py``), an attacker (a child process running one attack of
``tests/helpers/attacks.py`` at a time: endless header line, slowloris heads, idle
keep-alive connections, a flood of silent connections), and this one, a keep-alive
client sending authenticated ``GET /v1/connect/apps?limit=1`` one at a time. Each round
measures every scenario, the no-attack baseline included, in an order that flips every
round; the table gives per scenario the median over rounds of p50 and p99, with the
range, and the requests that failed.

    python -m bench server_under_attack --rounds 3 --requests 500
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import httpx

from bench._common import Side
from tests.helpers.attacks import ATTACKS, Attack
from tests.helpers.cli import demo_server
from workbench.server.limits import MAX_CONNECTIONS

SCENARIOS = ("none", *ATTACKS)
CONNECTIONS = {
    "endless_header": 8,
    "slowloris": MAX_CONNECTIONS + 100,
    "idle": MAX_CONNECTIONS + 100,
    "flood": 4 * MAX_CONNECTIONS,
}
SETTLE = 0.5  # seconds of attack before measuring, so the server is under steady pressure


def _attacker(kind: str, port: int, control: Connection) -> None:
    """The attacker child: attack until told to stop, then report the tally."""

    async def run() -> None:
        attack = Attack(kind, "127.0.0.1", port, CONNECTIONS[kind])
        stop = asyncio.Event()
        task = asyncio.create_task(attack.run(stop))
        await asyncio.wait_for(attack.established.wait(), 60)
        control.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, control.recv)
        stop.set()
        await task
        control.send(
            (attack.tally.opened, attack.tally.closed_by_server, attack.tally.statuses or {})
        )

    asyncio.run(run())


@dataclass
class Results:
    """One scenario's measurements over all rounds."""

    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    failures: int = 0
    opened: int = 0
    closed: int = 0


def _measure(base_url: str, token: str, requests: int, results: Results) -> None:
    side = Side()
    client = _client(base_url, token)
    started = time.perf_counter()
    try:
        for _ in range(requests):
            t0 = time.perf_counter()
            try:
                status = client.get("/v1/connect/apps", params={"limit": 1}).status_code
            except httpx.HTTPError:
                status = 0
                client.close()
                client = _client(base_url, token)
            side.latencies_ms.append((time.perf_counter() - t0) * 1000.0)
            results.failures += status != 200
    finally:
        client.close()
    side.seconds = time.perf_counter() - started
    results.p50.append(side.percentile(0.50))
    results.p99.append(side.percentile(0.99))


def _client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        trust_env=False,
        timeout=30,
        headers={"authorization": f"Bearer {token}"},
    )


def run(rounds: int, requests: int) -> dict[str, Results]:
    """Measure every scenario ``rounds`` times; the server runs throughout."""
    results = {name: Results() for name in SCENARIOS}
    context = multiprocessing.get_context("spawn")
    with demo_server() as (_, info, token):
        base_url, port = info["base_url"], int(info["base_url"].rsplit(":", 1)[1])
        _measure(base_url, token, requests // 5, Results())  # warm-up
        for number in range(rounds):
            for name in SCENARIOS if number % 2 == 0 else SCENARIOS[::-1]:
                if name == "none":
                    _measure(base_url, token, requests, results[name])
                    continue
                ours, theirs = context.Pipe()
                attacker = context.Process(target=_attacker, args=(name, port, theirs))
                attacker.start()
                if not ours.poll(90) or ours.recv() != "ready":
                    raise RuntimeError(f"the {name} attack did not get going")
                time.sleep(SETTLE)
                _measure(base_url, token, requests, results[name])
                ours.send("stop")
                opened, closed, _ = ours.recv()
                attacker.join(30)
                results[name].opened += opened
                results[name].closed += closed
    return results


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(results: dict[str, Results], rounds: int, requests: int) -> None:
    """Print the table: one row per scenario."""
    print(
        f"server_under_attack: {rounds} rounds x {requests} sequential keep-alive requests "
        "per scenario, workbench serve --demo (default limits)"
    )
    header = f"{'scenario':<16}{'p50 ms':>22}{'p99 ms':>22}{'failed':>8}{'attacker conns':>16}"
    print(header)
    for name, result in results.items():
        conns = f"{result.opened // rounds}/round" if result.opened else "-"
        print(
            f"{name:<16}{_spread(result.p50):>22}{_spread(result.p99):>22}"
            f"{result.failures:>8}{conns:>16}"
        )
    baseline = statistics.median(results["none"].p99)
    worst = max(statistics.median(r.p99) for r in results.values())
    print(f"worst p99 under attack / p99 without: {worst / baseline:.2f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(
        prog="python -m bench server_under_attack", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every scenario (3)")
    parser.add_argument("--requests", type=int, default=500, help="timed requests per scenario")
    options = parser.parse_args(argv)
    if options.rounds < 1 or options.requests < 5:
        parser.error("--rounds must be at least 1 and --requests at least 5")
    results = run(options.rounds, options.requests)
    report(results, options.rounds, options.requests)
    return 0 if all(r.failures == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
