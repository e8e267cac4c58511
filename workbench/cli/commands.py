"""The ``workbench`` commands: parse the arguments, run one command, map errors to exits.

Every command is a thin layer over ``workbench.core``: one module per command group
registers its parser and an async handler ``(args) -> exit code``. Failures become one
``workbench: error: ...`` line on stderr, never a traceback (set ``WORKBENCH_DEBUG=1``
to see one while developing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence

from keyring.errors import KeyringError

from workbench import __version__, eventloop
from workbench.cli import accounts, apps, budget, demo, projects, secrets, send, serve, users
from workbench.cli.args import Parser
from workbench.cli.exits import EXIT_CODES_HELP, CliError, Exit
from workbench.cli.logs import configure_logging
from workbench.cli.output import print_error
from workbench.core.accounts import CredentialsUnavailable
from workbench.core.catalog import CatalogError
from workbench.core.errors import ProxyError, RuleError
from workbench.core.oauth.errors import OAuthFailure
from workbench.core.store.workspace import WorkspaceError

DESCRIPTION = """\
Call third-party APIs on behalf of your end users through the workbench's embedded,
Pipedream Connect-compatible proxy. With no command, opens the window:

  workbench [--demo | --workspace PATH] [--secrets MODE] [--screenshot-dir DIR]

Try it offline:
  workbench send --demo --user alice@example.com --account apn_demoAliceCrm GET /echo/hello

Check an installation (offscreen, one line, exit 0):
  workbench --self-check
"""


def build_parser() -> argparse.ArgumentParser:
    """The full ``workbench`` parser with every command registered."""
    parser = Parser(
        prog="workbench",
        description=DESCRIPTION,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", parser_class=Parser
    )
    for module in (projects, accounts, users, send, budget, apps, serve, demo, secrets):
        module.register(commands)
    return parser


def run(arguments: Sequence[str]) -> int:
    """Run one ``workbench`` command and return the process exit status."""
    configure_logging()
    try:
        args = build_parser().parse_args(arguments)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else Exit.USAGE
    try:
        return int(eventloop.run(_run(args)))
    except KeyboardInterrupt:
        print_error("interrupted")
        return Exit.INTERRUPTED
    except asyncio.CancelledError:  # SIGTERM, see _run
        print_error("terminated")
        return Exit.TERMINATED
    except BrokenPipeError:
        # The reader went away (`workbench apps | head`): stop quietly, and keep Python
        # from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.ERROR
    except Exception as exc:
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        message, code = describe_error(exc)
        print_error(message)
        return code


async def _run(args: argparse.Namespace) -> int:
    """Run the command; SIGTERM cancels it like Ctrl-C does, so cleanup still happens.

    (Without this, ``kill`` would leave the demo's temporary workspace behind.)
    """
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, threads
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    return int(await args.handler(args))


def describe_error(exc: BaseException) -> tuple[str, Exit]:
    """The one-line message and exit code for a failure that reached the top."""
    if isinstance(exc, CliError):
        return exc.message, exc.code
    if isinstance(exc, RuleError):
        # Rule errors outside `send` come from values typed on the command line.
        return exc.message, Exit.USAGE
    if isinstance(exc, ProxyError):
        return f"{exc.message} (engine: {exc.status} {exc.code})", Exit.ENGINE
    if isinstance(exc, OAuthFailure):
        return f"the OAuth sign-in failed: {exc}", Exit.ERROR
    if isinstance(exc, CatalogError | WorkspaceError | KeyringError | CredentialsUnavailable):
        # The core's messages for these are written for people (and hold no secret).
        return str(exc), Exit.ERROR
    if isinstance(exc, sqlite3.Error):
        return f"workspace database error: {exc}", Exit.ERROR
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}", Exit.ERROR
    return (
        f"unexpected {type(exc).__name__}: {exc} (WORKBENCH_DEBUG=1 shows the traceback)",
        Exit.ERROR,
    )
