"""``workbench demo``: a short offline tour, then the REST server on the demo (the default)."""

from __future__ import annotations

import argparse
from typing import Any

from workbench.cli.args import add_common_options, port_number
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import Exit, UsageError
from workbench.cli.output import print_json, print_text
from workbench.cli.response import read_body, result_json, result_text
from workbench.cli.serve import demo_summary, serve_until_stopped
from workbench.core.exchange import ProxyRequest, ProxyResult

TOUR_ACCOUNT = "apn_demoAliceCrm"
TOUR_URL = "/echo/hello?from=workbench-demo"


def register(commands: Any) -> None:
    """Add ``demo`` to the top-level command parsers."""
    parser = commands.add_parser(
        "demo",
        help="the offline demo: a short tour, then the REST server (what 'workbench' runs)",
        description=(
            "Start a fresh demo workspace with its sandbox upstream on 127.0.0.1, send one "
            "live request through the engine, then serve the REST API on the demo until "
            "Ctrl-C. Nothing touches your own workspace or keychain."
        ),
    )
    parser.add_argument("--once", action="store_true", help="print the tour and exit")
    parser.add_argument(
        "--port", type=port_number, default=0, help="the REST server's port (default: a free one)"
    )
    add_common_options(parser)
    parser.set_defaults(handler=demo)


async def demo(args: argparse.Namespace) -> int:
    """Run the tour on a fresh demo (``--workspace`` makes no sense here)."""
    if args.workspace:
        raise UsageError("'workbench demo' always uses a fresh demo workspace; drop --workspace")
    args.demo = True
    return await _tour(args)


@uses_context
async def _tour(args: argparse.Namespace, ctx: Context) -> int:
    from workbench.sandbox.demo import DEMO_ACCOUNTS

    if ctx.demo is None:  # cannot happen: `demo` sets args.demo before opening the context
        raise UsageError("the tour needs the demo workspace")
    info = ctx.demo.describe()
    owner = next(a.external_user_id for a in DEMO_ACCOUNTS if a.id == TOUR_ACCOUNT)
    result = await ctx.engine.send(
        ProxyRequest(
            project_id=ctx.demo.project_id,
            external_user_id=owner,
            account_id=TOUR_ACCOUNT,
            method="GET",
            url=TOUR_URL,
            origin="cli",
        )
    )
    if args.json:
        data = {**info, "request": result_json(result)}
        if args.once:
            print_json(data)
            return Exit.OK
        return await serve_until_stopped(
            ctx, port=args.port, project_id=ctx.demo.project_id, as_json=True, extra=data
        )
    print_text(_tour_text(info, owner, result))
    if args.once:
        return Exit.OK
    print_text("\nREST server on the demo (Ctrl+C stops the demo):")
    print_text("")
    return await serve_until_stopped(
        ctx, port=args.port, project_id=ctx.demo.project_id, as_json=False
    )


def _tour_text(info: dict[str, Any], owner: str, result: ProxyResult) -> str:
    lines = [
        "Connect Proxy Workbench: offline demo (fresh each run; nothing leaves this machine)",
        "",
        demo_summary(info),
        "",
        f"One live request through the engine, as {owner} with account {TOUR_ACCOUNT}.",
        "The engine injected the account's credential (shown masked):",
        "",
        result_text(result),
    ]
    seen = read_body(result.body, result.header("content-type")).json_value
    auth = seen.get("auth") if isinstance(seen, dict) else None
    if isinstance(auth, dict):
        lines += ["", f"The sandbox received it in {auth.get('where')}: {auth.get('masked')}"]
    lines += [
        "",
        "Try it yourself (each command starts its own fresh demo):",
        f"  workbench send --demo --user {owner} --account {TOUR_ACCOUNT} GET /echo/hello",
        "  workbench send --demo --user bob@example.com --account apn_demoBobWeather "
        "GET '/echo/weather?city=Oslo' --json",
        "  workbench apps --demo -q sandbox",
    ]
    return "\n".join(lines)
