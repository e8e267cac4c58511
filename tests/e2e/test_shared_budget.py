"""One project, one rate budget: real processes (servers and CLI sends) spend it together.

Every process opens the same workspace; the test sends through all of them at once and
counts what came back. The first test uses the product's real budget (1,000 per 300 s);
the SIGKILL test shrinks it with the test-only ``WORKBENCH_TEST_RATE_BUDGET``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.shared import (
    USER,
    Outcome,
    SharedWorkspace,
    make_shared_workspace,
    proxy_requests,
    servers,
)
from tests.helpers.cli import CLI_TIMEOUT, cli_env, run_cli
from workbench.core.store.budgetfile import TEST_BUDGET_ENV

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class CliSend:
    """A ``workbench send --json`` that ran beside the servers."""

    code: int
    data: dict
    sent: float
    received: float


def cli_sends(workspace: SharedWorkspace, count: int) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` ``workbench send`` processes at once (collect with :func:`finish`)."""
    args = [
        sys.executable, "-m", "workbench", "send", *workspace.common, "--user", USER,
        "--account", workspace.account_id, "GET", "/echo/cli", "--json",
    ]  # fmt: skip
    return [
        subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(workspace.env)
        )
        for _ in range(count)
    ]


def finish(processes: list[subprocess.Popen[bytes]], sent: float) -> list[CliSend]:
    """Wait for the CLI sends; each answer is one JSON object on stdout."""
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
        assert b"Traceback" not in stderr, stderr
        results.append(CliSend(process.returncode, json.loads(stdout), sent, time.time()))
    return results


def check_retry_after(
    retry_after: int, *, first_counted: tuple[float, float], asked: Outcome
) -> None:
    """Retry-After is the time until the oldest counted request leaves the 300 s window.

    The oldest request was counted at some moment in ``first_counted`` (no earlier than
    the start, no later than its answer); the refusal was decided while ``asked`` was in
    flight. Rounded up to whole seconds, the header must fall between the two extremes.
    """
    earliest, latest = first_counted
    assert math.ceil(earliest + 300 - asked.received) <= retry_after, asked
    assert retry_after <= math.ceil(latest + 300 - asked.sent), asked


def test_two_servers_and_cli_sends_let_exactly_1000_through(tmp_path: Path, upstream: str) -> None:
    workspace = make_shared_workspace(tmp_path, upstream)
    with servers(workspace, 2) as running:
        start = time.time()
        launched = cli_sends(workspace, 4)
        jobs = [(server, n) for n, server in enumerate(running) for _ in range(2)]
        with ThreadPoolExecutor(len(jobs)) as pool:
            batches = pool.map(
                lambda job: list(proxy_requests(workspace, job[0], job[1], 265)), jobs
            )
            outcomes = [outcome for batch in batches for outcome in batch]
        sends = finish(launched, start)
        budget = run_cli(
            "budget",
            "--workspace",
            str(workspace.path),
            "--project",
            workspace.project_id,
            "--json",
        )

    assert len(outcomes) == 4 * 265
    assert {o.status for o in outcomes} <= {200, 429}
    cli_ok = [s for s in sends if s.code == 0]
    assert all(s.data["status"] == 200 for s in cli_ok)
    assert sum(o.status == 200 for o in outcomes) + len(cli_ok) == 1000
    assert {o.server for o in outcomes if o.status == 200} == {0, 1}  # both servers served

    first_answer = min(
        [o.received for o in outcomes if o.status == 200] + [s.received for s in cli_ok]
    )
    first_counted = (start, first_answer)
    refused = [o for o in outcomes if o.status == 429]
    assert len(refused) + len(sends) - len(cli_ok) == 4 * 265 + 4 - 1000
    for outcome in refused:
        assert outcome.code == "rate_limited"
        assert outcome.retry_after is not None
        check_retry_after(outcome.retry_after, first_counted=first_counted, asked=outcome)
    for send in sends:
        if send.code != 0:
            assert send.code == 3, send
            assert send.data["error"]["code"] == "rate_limited"
            asked = Outcome(429, None, "rate_limited", send.sent, send.received, -1)
            check_retry_after(
                send.data["error"]["retry_after"], first_counted=first_counted, asked=asked
            )

    assert budget.code == 0, budget
    shared = budget.json()
    assert (shared["limit"], shared["used"], shared["remaining"]) == (1000, 1000, 0)
    assert start + 300 <= shared["resets_at"] <= first_answer + 300


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_server_killed_mid_way_loses_no_accounting_and_blocks_no_other(
    tmp_path: Path, upstream: str
) -> None:
    workspace = make_shared_workspace(tmp_path, upstream)
    small = {TEST_BUDGET_ENV: "300/300"}
    with servers(workspace, 3, env=small) as running:
        outcomes: list[Outcome] = []
        lock = threading.Lock()
        killed_at = [math.inf]

        def spend(server_number: int) -> None:
            refusals = 0
            for outcome in proxy_requests(workspace, running[server_number], server_number, 1000):
                with lock:
                    outcomes.append(outcome)
                refusals += outcome.status == 429
                if refusals == 5:  # the budget is spent: enough
                    return

        def kill_third_at_half() -> None:
            deadline = time.monotonic() + CLI_TIMEOUT
            while sum(o.status == 200 for o in list(outcomes)) < 150:
                if time.monotonic() > deadline:
                    return  # the test fails below, on what was counted
                time.sleep(0.005)
            killed_at[0] = time.time()
            os.kill(running[2].cli.process.pid, signal.SIGKILL)

        start = time.time()
        threads = [threading.Thread(target=spend, args=(n // 2,), daemon=True) for n in range(6)]
        threads.append(threading.Thread(target=kill_third_at_half, daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(CLI_TIMEOUT)
            assert not thread.is_alive()
        budget = run_cli(
            "budget", "--workspace", str(workspace.path), "--project", workspace.project_id,
            "--json", env=small,
        )  # fmt: skip

    answered = [o for o in outcomes if o.status is not None]
    unanswered = [o for o in outcomes if o.status is None]
    ok = sum(o.status == 200 for o in answered)
    assert {o.status for o in answered} <= {200, 429}
    assert all(o.server == 2 for o in unanswered)  # only the killed server left anyone hanging
    # Every request the killed server counted stays counted: the survivors let through
    # exactly what was left, never more, never less.
    assert budget.code == 0, budget
    shared = budget.json()
    assert (shared["limit"], shared["used"], shared["remaining"]) == (300, 300, 0)
    assert ok <= 300 <= ok + len(unanswered)
    after_kill = [o for o in answered if o.sent > killed_at[0]]
    assert {o.server for o in after_kill if o.status == 200} == {0, 1}  # both kept serving
    first_answer = min(o.received for o in answered if o.status == 200)
    for outcome in answered:
        if outcome.status == 429:
            assert outcome.code == "rate_limited"
            assert outcome.retry_after is not None
            check_retry_after(
                outcome.retry_after, first_counted=(start, first_answer), asked=outcome
            )
