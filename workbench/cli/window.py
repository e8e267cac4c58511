"""``workbench`` with no command: open the desktop window (Qt is imported only then)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from workbench.cli.args import SECRETS_MODES, Parser
from workbench.cli.exits import Exit
from workbench.cli.logs import configure_logging

USAGE = (
    "workbench [--demo | --workspace PATH] [--secrets MODE] [--screenshot-dir DIR] [--self-check]"
)


def build_parser() -> Parser:
    """The window's options."""
    parser = Parser(
        prog="workbench",
        usage=USAGE,
        description="Open the Connect Proxy Workbench window.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--demo", action="store_true", help="open the offline demo workspace")
    where.add_argument("--workspace", metavar="PATH", type=Path, help="open this workspace file")
    parser.add_argument(
        "--secrets",
        choices=SECRETS_MODES,
        default="auto",
        help="where account secrets live: auto (keychain), memory, file (default: auto)",
    )
    parser.add_argument(
        "--screenshot-dir",
        metavar="DIR",
        type=Path,
        help="drive the window through its main states on the demo, save a PNG of each, exit",
    )
    parser.add_argument(
        "--settings", metavar="FILE", type=Path, help="the settings file to use (an INI file)"
    )
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check this installation: load the catalog, open a memory vault, start the "
        "sandbox, send one request, open and close the window (offscreen without a display); "
        "print one line and exit 0, or name the failing step and exit 1",
    )
    parser.add_argument("--quit-after", metavar="MS", type=int, help=argparse.SUPPRESS)
    return parser


def is_window_call(arguments: Sequence[str]) -> bool:
    """True when the arguments ask for the window (no command, only window options)."""
    return not arguments or (
        arguments[0].startswith("-") and arguments[0] not in ("-h", "--help", "--version")
    )


def run_window(arguments: Sequence[str]) -> int:
    """Parse the window's options and run it until it is closed."""
    configure_logging()
    try:
        args = build_parser().parse_args(list(arguments))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else Exit.USAGE
    from workbench.ui.app import WindowOptions, run  # Qt loads here, never for commands

    return run(
        WindowOptions(
            demo=args.demo,
            workspace=args.workspace,
            secrets=args.secrets,
            screenshot_dir=args.screenshot_dir,
            settings=args.settings,
            quit_after=args.quit_after,
            self_check=args.self_check,
        )
    )
