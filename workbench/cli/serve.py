"""``workbench serve``: the Connect-compatible REST server on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from workbench.cli.args import add_common_options, port_number
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import CliError, Exit
from workbench.cli.output import format_fields, format_table, print_json, print_text


def register(commands: Any) -> None:
    """Add ``serve`` to the top-level command parsers."""
    parser = commands.add_parser(
        "serve",
        help="run the Connect-compatible REST server for the Pipedream SDKs",
        description=(
            "Serve Pipedream's Connect REST API (token, proxy, apps, accounts, users) on "
            "127.0.0.1 only, backed by this workspace, until Ctrl-C. Point an SDK at it "
            "with base_url / PIPEDREAM_BASE_URL. With --demo the sandbox upstream runs too."
        ),
    )
    parser.add_argument(
        "--port", type=port_number, default=0, help="the port to listen on (default: a free one)"
    )
    parser.add_argument(
        "--project", metavar="P", help="the project to announce (optional when only one exists)"
    )
    parser.add_argument(
        "--allow-credentials",
        action="store_true",
        help="let include_credentials=true return account secrets (refused with 403 otherwise)",
    )
    add_common_options(parser)
    parser.set_defaults(handler=serve)


@uses_context
async def serve(args: argparse.Namespace, ctx: Context) -> int:
    """Serve the workspace (or the demo) until interrupted."""
    project = ctx.project(args.project)
    extra = {"sandbox_url": ctx.demo.base_url} if ctx.demo is not None else {}
    if ctx.demo is not None and not args.json:
        print_text(demo_summary(ctx.demo.describe()))
        print_text("")
    return await serve_until_stopped(
        ctx,
        port=args.port,
        project_id=project.id,
        as_json=args.json,
        extra=extra,
        allow_credentials=args.allow_credentials,
    )


def demo_summary(info: dict[str, Any]) -> str:
    """The demo's sandbox address, project and accounts, as lines for a terminal."""
    accounts = [
        (a["external_user_id"], a["id"], a["app"], a["name"], a["custom_fields"])
        for a in info["accounts"]
    ]
    return "\n".join(
        [
            f"Sandbox upstream: {info['sandbox_url']}",
            f"Project:          {info['project_id']}",
            "",
            format_table(("user", "account", "app", "name", "custom_fields"), accounts),
        ]
    )


def demo_credentials(ctx: Context, project_id: str) -> dict[str, str]:
    """The demo project's client credentials: they live only in this process's memory."""
    client_id, client_secret = ctx.connections.project_credentials(project_id)
    return {"client_id": client_id, "client_secret": client_secret}


async def serve_until_stopped(
    ctx: Context,
    *,
    port: int,
    project_id: str,
    as_json: bool,
    extra: dict[str, Any] | None = None,
    allow_credentials: bool = False,
) -> int:
    """Run the REST server over ``ctx`` until the command is cancelled (Ctrl-C).

    Text mode prints the server's banner (and, for the demo, its client credentials);
    JSON mode prints one object with ``extra`` and a ``server`` entry instead.
    ``allow_credentials`` lets ``include_credentials=true`` return account secrets.
    """
    from workbench.server.runner import LocalServer
    from workbench.server.runner import serve as run_server

    credentials = demo_credentials(ctx, project_id) if ctx.demo is not None else {}
    try:
        if as_json:
            async with LocalServer(
                ctx.connections, ctx.engine, port=port, allow_credentials=allow_credentials
            ) as server:
                info = {
                    "base_url": server.base_url,
                    "project_id": project_id,
                    "allow_credentials": allow_credentials,
                    **credentials,
                }
                print_json({**(extra or {}), "server": info})
                await asyncio.Event().wait()
        else:
            if credentials:
                # `workbench projects credentials` runs in another process and cannot see
                # this demo's memory vault, so the demo shows its credentials itself.
                print_text("Demo client credentials (valid while this demo runs):")
                print_text(format_fields(credentials))
                print_text("")
            await run_server(
                ctx.connections,
                ctx.engine,
                port=port,
                project_id=project_id,
                allow_credentials=allow_credentials,
            )
    except BrokenPipeError:
        raise  # stdout's reader went away (not a listening problem): main() handles it
    except OSError as exc:  # binding the port: taken, or not allowed
        raise CliError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    return Exit.OK  # not reached: serving ends by cancellation
