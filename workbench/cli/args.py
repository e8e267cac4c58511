"""Argument parsing shared by every command: one-line usage errors and the common options."""

from __future__ import annotations

import argparse
from typing import NoReturn

from workbench.cli.exits import Exit, UsageError
from workbench.cli.output import print_error
from workbench.core.accounts import ENVIRONMENTS

SECRETS_MODES = ("auto", "memory", "file")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one ``workbench: error:`` line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Report a usage error in one line, pointing at the command's ``--help``."""
        print_error(f"{message} (see '{self.prog} --help')")
        raise SystemExit(Exit.USAGE)


def add_common_options(parser: argparse.ArgumentParser, *, suppress_defaults: bool = False) -> None:
    """Add ``--workspace``, ``--demo``, ``--json`` and ``--secrets`` to one command's parser.

    Args:
        parser: the command's (leaf) parser.
        suppress_defaults: leave unset options out of the namespace (for a sub-action
            whose parent command already has these options and their defaults).
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress_defaults else value

    group = parser.add_argument_group("common options")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--workspace",
        metavar="PATH",
        default=default(None),
        help="the workspace file to use (default: the one in your user data directory)",
    )
    where.add_argument(
        "--demo",
        action="store_true",
        default=default(False),
        help="use a fresh offline demo workspace with its sandbox upstream (never your own)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print exactly one JSON value on stdout",
    )
    group.add_argument(
        "--secrets",
        choices=SECRETS_MODES,
        default=default("auto"),
        help=(
            "where account secrets live: auto = the system keychain; memory = this process "
            "only; file = an encrypted file next to the workspace, unlocked by a passphrase "
            "(WORKBENCH_VAULT_PASSPHRASE or a prompt). Default: auto"
        ),
    )


def add_account_options(parser: argparse.ArgumentParser, *, app_help: str) -> None:
    """``--project``, ``--user``, ``--app`` and ``--field``: whose account of which app."""
    parser.add_argument("--project", metavar="P", help="the project (optional when only one)")
    parser.add_argument("--user", required=True, metavar="U", help="the external user id")
    parser.add_argument("--app", required=True, metavar="SLUG", help=app_help)
    parser.add_argument(
        "--field", action="append", metavar="NAME=VALUE", help="a custom field (repeatable)"
    )


def add_placement_options(parser: argparse.ArgumentParser) -> None:
    """``--environment``, ``--allow-private-network`` and ``--name`` of a new account."""
    parser.add_argument("--environment", choices=ENVIRONMENTS, default="development")
    parser.add_argument(
        "--allow-private-network",
        action="store_true",
        help="let this account reach private addresses and http:// (self-hosted, LAN, sandbox)",
    )
    parser.add_argument("--name", default="", help="a name to recognise the account by")


def key_value(text: str, *, flag: str, secret: bool = False) -> tuple[str, str]:
    """Split a ``name=value`` flag value on the first ``=``.

    Args:
        text: the flag's value.
        flag: the flag's name, for the error message.
        secret: never echo ``text`` in an error (it may be a secret typed without a name).

    Raises:
        UsageError: when there is no ``=`` or the name is empty.
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        shown = "" if secret else f", got {text!r}"
        raise UsageError(f"{flag} expects name=value{shown}")
    return name.strip(), value


def key_values(items: list[str] | None, *, flag: str, secret: bool = False) -> dict[str, str]:
    """Parse repeated ``name=value`` flags into a dict; a repeated name is a usage error."""
    result: dict[str, str] = {}
    for item in items or ():
        name, value = key_value(item, flag=flag, secret=secret)
        if name in result:
            raise UsageError(f"{flag} {name} is given twice")
        result[name] = value
    return result


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 meaning any free port."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 (any free port) to 65535, not {port}")
    return port
