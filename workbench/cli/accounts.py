"""``workbench accounts``: connect accounts (keys, or OAuth via ``connect``), list, remove."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from workbench.cli import connect
from workbench.cli.args import (
    Parser,
    add_account_options,
    add_common_options,
    add_placement_options,
    key_values,
)
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import CliError, Exit, UsageError
from workbench.cli.output import (
    account_json,
    format_table,
    print_account,
    print_json,
    print_text,
    print_warning,
)
from workbench.core.catalog import App


def register(commands: Any) -> None:
    """Add ``accounts add|connect|list|remove`` to the top-level command parsers."""
    group = commands.add_parser(
        "accounts",
        help="connect accounts (keys, or OAuth in the browser), list and remove them",
        description="An account is one external user's credential for one app.",
    )
    actions = group.add_subparsers(
        dest="action", metavar="ACTION", title="actions", required=True, parser_class=Parser
    )

    add = actions.add_parser(
        "add",
        help="connect an account and print it",
        description=(
            "Connect an account for an external user. Custom fields are not secret; secrets "
            "go to the vault only. Required secrets not given with --secret are asked for "
            "without echo on a terminal (safer than --secret, which shows in the process list)."
        ),
    )
    add_account_options(add, app_help="the app's slug")
    add.add_argument(
        "--secret", action="append", metavar="NAME=VALUE", help="a credential (repeatable)"
    )
    add_placement_options(add)
    add.add_argument(
        "--verify", action="store_true", help="run the app's verification request afterwards"
    )
    add_common_options(add)
    add.set_defaults(handler=add_account)
    connect.register(actions)

    listing = actions.add_parser("list", help="list accounts")
    listing.add_argument("--project", metavar="P", help="only this project")
    listing.add_argument("--user", metavar="U", help="only this external user's accounts")
    listing.add_argument("--app", metavar="SLUG", help="only accounts of this app")
    add_common_options(listing)
    listing.set_defaults(handler=list_accounts)

    remove = actions.add_parser("remove", help="remove an account and its secrets")
    remove.add_argument("account", metavar="ACCOUNT_ID", help="the account id (apn_...)")
    add_common_options(remove)
    remove.set_defaults(handler=remove_account)


@uses_context
async def add_account(args: argparse.Namespace, ctx: Context) -> int:
    """Validate, prompt for missing secrets, store, optionally verify, then print."""
    from workbench.core.store.connections import check_custom_fields

    project = ctx.project(args.project)
    app = ctx.catalog.get(args.app)
    if app is None:
        raise UsageError(f"unknown app {args.app!r} (find its slug with 'workbench apps -q TEXT')")
    fields = key_values(args.field, flag="--field")
    secrets = key_values(args.secret, flag="--secret", secret=True)
    # Refuse bad custom fields before asking for any secret.
    check_custom_fields(app, fields, allow_private_network=args.allow_private_network)
    secrets.update(_ask_missing_secrets(app, secrets))
    account = ctx.connections.add_account(
        project.id,
        args.user,
        app.name_slug,
        custom_fields=fields,
        secrets=secrets,
        environment=args.environment,
        name=args.name,
        allow_private_network=args.allow_private_network,
    )
    if args.verify:
        if app.verification is None:
            print_warning(f"{app.name} has no verification request; the account is unverified")
        else:
            account = await ctx.connections.verify_account(ctx.engine, account.id)
    print_account(account, as_json=args.json)
    return Exit.OK


def _ask_missing_secrets(app: App, given: dict[str, str]) -> dict[str, str]:
    """Prompt without echo for required secrets not given; refuse when there is no terminal."""
    missing = [spec for spec in app.credentials if spec.required and not given.get(spec.name)]
    if missing and not sys.stdin.isatty():
        spec = missing[0]
        raise UsageError(
            f"missing secret '{spec.name}' ({spec.label}) for {app.name}: pass "
            f"--secret {spec.name}=VALUE, or run on a terminal to be asked for it"
        )
    return {spec.name: getpass.getpass(f"{spec.label} ({spec.name}): ") for spec in missing}


@uses_context
async def list_accounts(args: argparse.Namespace, ctx: Context) -> int:
    """Print the accounts matching the filters."""
    project_id = ctx.project(args.project).id if args.project else None
    accounts = ctx.workspace.list_accounts(
        project_id, external_user_id=args.user, app_slug=args.app
    )
    if args.json:
        print_json([account_json(account) for account in accounts])
    elif not accounts:
        print_text("No accounts match.")
    else:
        rows = [
            (a.id, a.external_user_id, a.app_slug, a.environment, a.name, a.healthy,
             dict(a.custom_fields), a.health_detail if a.healthy is False else "")
            for a in accounts
        ]  # fmt: skip
        headers = ("id", "user", "app", "environment", "name", "healthy", "custom_fields", "why")
        print_text(format_table(headers, rows))
    return Exit.OK


@uses_context
async def remove_account(args: argparse.Namespace, ctx: Context) -> int:
    """Remove one account and its secrets."""
    if ctx.workspace.find_account(args.account) is None:
        raise CliError(f"no account {args.account!r} in {ctx.where}")
    ctx.connections.remove_account(args.account)
    if args.json:
        print_json({"id": args.account, "removed": True})
    else:
        print_text(f"Removed account {args.account} and its secrets.")
    return Exit.OK
