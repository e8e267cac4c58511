"""``workbench send``: one request through the engine on behalf of an external user."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.cli.args import add_common_options
from workbench.cli.context import Context, open_context
from workbench.cli.exits import EXIT_CODES_HELP, Exit, UsageError, exit_for_status
from workbench.cli.output import print_error, print_json, print_text
from workbench.cli.response import error_json, result_json, result_text
from workbench.core.accounts import ENVIRONMENTS
from workbench.core.errors import ProxyError
from workbench.core.exchange import DEFAULT_DEADLINE, ProxyRequest

EXAMPLES = """\
examples:
  workbench send --demo --user alice@example.com --account apn_demoAliceCrm GET /echo/hello
  workbench send --user u-42 --account apn_... POST /v1/items -d '{"name": "x"}' --json

"""
_CONTENT_TYPE_NAMES = ("content-type", "x-pd-proxy-content-type")


def register(commands: Any) -> None:
    """Add ``send`` to the top-level command parsers."""
    parser = commands.add_parser(
        "send",
        help="send one request through the proxy engine",
        # The raw formatter keeps the epilog's layout, so the description is wrapped here.
        description=(
            "Send a request upstream with the account's credential injected by the engine,\n"
            "under the same rules as the REST server. URL is a path relative to the app's\n"
            "base URL, or a full URL on one of the app's allowed domains."
        ),
        epilog=EXAMPLES + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("method", metavar="METHOD", help="GET, POST, PUT, PATCH, DELETE...")
    parser.add_argument("url", metavar="URL", help="a relative path or a full URL")
    parser.add_argument("--user", required=True, metavar="U", help="the external user id")
    parser.add_argument("--account", required=True, metavar="apn_...", help="the account id")
    parser.add_argument(
        "--project", metavar="P", help="the project (default: the account's project)"
    )
    parser.add_argument(
        "--environment",
        choices=ENVIRONMENTS,
        help="the environment to send in (default: the account's environment)",
    )
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        type=header_pair,
        metavar="'Name: value'",
        help="a header for upstream (repeatable)",
    )
    parser.add_argument(
        "-d",
        "--data",
        metavar="JSON|@FILE",
        help="the body: JSON text (sets Content-Type: application/json unless given), "
        "or @FILE to send a file's bytes (@- reads stdin)",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        metavar="S",
        help=f"seconds before giving up (at most {DEFAULT_DEADLINE:g}, the engine's deadline)",
    )
    add_common_options(parser)
    parser.set_defaults(handler=send)


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= DEFAULT_DEADLINE:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {DEFAULT_DEADLINE:g}")
    return value


def header_pair(text: str) -> tuple[str, str]:
    """An argparse type: ``'Name: value'`` split on the first ``:``, both sides trimmed.

    Raises:
        argparse.ArgumentTypeError: no ``:`` or an empty name (the text is not echoed: it
            may hold a credential).
    """
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError("expects 'Name: value'")
    return name.strip(), value.strip()


def read_data(data: str | None, headers: list[tuple[str, str]]) -> bytes | None:
    """The request body from ``--data``; adds a JSON Content-Type to ``headers`` if needed.

    Raises:
        UsageError: the text is not JSON, or the @FILE cannot be read.
    """
    if data is None:
        return None
    if data.startswith("@"):
        source = data[1:]
        if source == "-":
            return sys.stdin.buffer.read()
        try:
            return Path(source).expanduser().read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read --data file {source!r}: {exc.strerror}") from None
    try:
        json.loads(data)
    except ValueError as exc:
        raise UsageError(
            f"--data is not valid JSON ({exc}); send other bytes with --data @FILE"
        ) from None
    if not any(name.lower() in _CONTENT_TYPE_NAMES for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return data.encode("utf-8")


async def send(args: argparse.Namespace) -> int:
    """Send the request; print the answer; exit by its status (see the epilog)."""
    headers: list[tuple[str, str]] = list(args.header or ())
    body = read_data(args.data, headers)  # before opening anything: a usage error is quick
    async with open_context(args) as ctx:
        return await _send(args, ctx, tuple(headers), body)


async def _send(
    args: argparse.Namespace, ctx: Context, headers: tuple[tuple[str, str], ...], body: bytes | None
) -> int:
    account = ctx.workspace.find_account(args.account)
    if args.project:
        project_id = ctx.project(args.project).id
    elif account is not None:
        project_id = account.project_id
    else:
        # The engine answers an unknown account with its usual 404 either way.
        projects = ctx.workspace.list_projects()
        project_id = projects[0].id if len(projects) == 1 else ""
    environment = args.environment or (account.environment if account else "development")
    request = ProxyRequest(
        project_id=project_id,
        external_user_id=args.user,
        account_id=args.account,
        method=args.method,
        url=args.url,
        headers=headers,
        body=body,
        environment=environment,
        timeout=args.timeout,
        origin="cli",
    )
    try:
        result = await ctx.engine.send(request)
    except ProxyError as error:
        if args.json:
            budget = ctx.engine.budget_snapshot(project_id)
            print_json(error_json(error, method=args.method, url=args.url, budget=budget))
        print_error(f"{error.message} (engine: {error.status} {error.code})")
        return Exit.ENGINE
    if args.json:
        print_json(result_json(result))
    else:
        print_text(result_text(result))
    return exit_for_status(result.status)
