"""``workbench users``: list a project's external users, remove one with accounts and secrets."""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import Any

from workbench.cli.args import Parser, add_common_options
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import CliError, Exit
from workbench.cli.output import format_table, print_json, print_text, user_json


def register(commands: Any) -> None:
    """Add ``users list|remove`` to the top-level command parsers."""
    group = commands.add_parser(
        "users",
        help="list external users; remove one with their accounts and secrets",
        description="External users are your product's end users, known by your own id.",
    )
    actions = group.add_subparsers(
        dest="action", metavar="ACTION", title="actions", required=True, parser_class=Parser
    )

    listing = actions.add_parser("list", help="list external users and their accounts")
    listing.add_argument("--project", metavar="P", help="only this project (default: all)")
    add_common_options(listing)
    listing.set_defaults(handler=list_users)

    remove = actions.add_parser(
        "remove", help="remove a user, their accounts and the accounts' secrets"
    )
    remove.add_argument("user", metavar="USER", help="the external user id")
    remove.add_argument(
        "--project", metavar="P", help="the project (may be omitted when there is only one)"
    )
    add_common_options(remove)
    remove.set_defaults(handler=remove_user)


@uses_context
async def list_users(args: argparse.Namespace, ctx: Context) -> int:
    """Print the users of one project, or of every project."""
    projects = [ctx.project(args.project)] if args.project else ctx.workspace.list_projects()
    listed: list[dict[str, Any]] = []
    for project in projects:
        accounts: dict[str, list[str]] = defaultdict(list)
        for account in ctx.workspace.list_accounts(project.id):
            accounts[account.external_user_id].append(account.id)
        for user in ctx.workspace.list_users(project.id):
            listed.append({**user_json(user), "accounts": accounts[user.external_id]})
    if args.json:
        print_json(listed)
    elif not listed:
        print_text("No external users yet; 'workbench accounts add' creates them.")
    else:
        rows = [
            (u["external_id"], u["project_id"], u["id"], u["accounts"], u["created_at"])
            for u in listed
        ]
        print_text(format_table(("user", "project", "id", "accounts", "created_at"), rows))
    return Exit.OK


@uses_context
async def remove_user(args: argparse.Namespace, ctx: Context) -> int:
    """Remove a user with their accounts, and the accounts' secrets from the vault."""
    project = ctx.project(args.project)
    if ctx.workspace.get_user(project.id, args.user) is None:
        raise CliError(f"no user {args.user!r} in project {project.id}")
    removed = ctx.connections.remove_user(project.id, args.user)
    if args.json:
        print_json(
            {"project_id": project.id, "external_user_id": args.user, "removed_accounts": removed}
        )
    else:
        what = f"and {len(removed)} account(s) with their secrets" if removed else "(no accounts)"
        print_text(f"Removed user {args.user} {what} from project {project.id}.")
        for account_id in removed:
            print_text(f"  {account_id}")
    return Exit.OK
