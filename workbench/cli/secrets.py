"""``workbench secrets forget``: delete a workspace's secrets from the keychain, to uninstall.

Secrets live in the OS keychain (or the encrypted file), outside every folder an
uninstall removes, and a keychain cannot list them by application: this command names
them from the workspace's own records and deletes each one.
"""

from __future__ import annotations

import argparse
from typing import Any

from workbench.cli.args import Parser, add_common_options
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import CliError, Exit, UsageError
from workbench.cli.output import print_json, print_text


def register(commands: Any) -> None:
    """Add ``secrets forget`` to the top-level command parsers."""
    group = commands.add_parser(
        "secrets",
        help="delete a workspace's secrets from the keychain (before uninstalling)",
        description="The secrets a workspace keeps outside its file: in the system keychain "
        "(or the encrypted secrets file with --secrets file).",
    )
    actions = group.add_subparsers(
        dest="action", metavar="ACTION", title="actions", required=True, parser_class=Parser
    )
    forget = actions.add_parser(
        "forget",
        help="delete every account secret and project client secret of the workspace",
        description="Delete every secret of the workspace from the keychain: each account's "
        "credentials and each project's client secret. The workspace file stays (its accounts "
        "then show their secrets as missing); delete it yourself after. Run it once for each "
        "workspace you used, before uninstalling.",
    )
    forget.add_argument("--yes", action="store_true", help="really delete them (required)")
    add_common_options(forget)
    forget.set_defaults(handler=forget_secrets)


@uses_context
async def forget_secrets(args: argparse.Namespace, ctx: Context) -> int:
    """Delete the workspace's secrets from its vault; print the keys that held one."""
    if ctx.demo is not None or args.secrets == "memory":
        raise CliError("nothing to forget: secrets kept in memory end with their process")
    if not args.yes:
        raise UsageError(
            f"this deletes every secret of {ctx.where} for good; add --yes to go ahead"
        )
    store = ctx.vault.where
    deleted = ctx.connections.forget_secrets()
    if args.json:
        print_json({"workspace": str(ctx.workspace.path), "store": store, "deleted": deleted})
        return Exit.OK
    print_text(f"Deleted {len(deleted)} secret(s) of {ctx.where} from {store}.")
    for key in deleted:
        print_text(f"  {key}")
    return Exit.OK
