"""``workbench accounts connect``: connect an OAuth account through the system browser.

The user's own OAuth client of the app is used: its id from ``--client-id`` (or the one
remembered for the app), its secret from ``WORKBENCH_OAUTH_CLIENT_SECRET``, else the one
remembered for that client id, else a prompt without echo (empty: a public client).
The redirect URI is printed on stderr to be registered with the provider; its port is
remembered per app so the registration stays valid.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import webbrowser
from collections.abc import Callable
from typing import Any

from workbench.cli.args import (
    add_account_options,
    add_common_options,
    add_placement_options,
    key_values,
)
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import Exit, UsageError
from workbench.cli.output import print_account
from workbench.core.catalog import App

CLIENT_SECRET_ENV = "WORKBENCH_OAUTH_CLIENT_SECRET"

# Opens a URL in the system browser; True when one was started. Tests replace it.
open_browser: Callable[[str], bool] = webbrowser.open


def register(actions: Any) -> None:
    """Add ``connect`` to the ``accounts`` actions."""
    connect = actions.add_parser(
        "connect",
        help="connect an OAuth account through the system browser and print it",
        description=(
            "Sign an external user's account of an OAuth app in through the system browser "
            "(authorization code with PKCE), with your own OAuth client of the app. The "
            f"client secret comes from {CLIENT_SECRET_ENV}, the one remembered for the "
            "client id, or a prompt without echo; tokens go to the vault only."
        ),
    )
    add_account_options(connect, app_help="the OAuth app's slug")
    connect.add_argument(
        "--scope",
        action="append",
        metavar="S",
        help="a scope to ask for (repeatable; default: the app's scopes)",
    )
    connect.add_argument(
        "--client-id", metavar="ID", help="your OAuth client's id (default: the remembered one)"
    )
    connect.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser: print 'Open: URL' on stderr and wait for the redirect",
    )
    add_placement_options(connect)
    add_common_options(connect)
    connect.set_defaults(handler=connect_account)


@uses_context
async def connect_account(args: argparse.Namespace, ctx: Context) -> int:
    """Check the inputs, sign in through the browser, store the account, print it."""
    from workbench.core.oauth.client import ClientCredentials
    from workbench.core.oauth.flow import AuthorizationFlow
    from workbench.core.store.account_input import check_typed_fields

    project = ctx.project(args.project)
    app = _oauth_app(ctx, args.app)
    typed = check_typed_fields(
        app,
        key_values(args.field, flag="--field"),
        allow_private_network=args.allow_private_network,
    )
    connections = ctx.connections
    record, _ = connections.oauth_client(app.name_slug)
    client_id = args.client_id or (record.client_id if record is not None else "")
    if not client_id:
        raise UsageError(
            f"no OAuth client id for {app.name}: pass --client-id with your client's id"
        )
    secret = _client_secret(ctx, app, client_id)
    port = record.redirect_port if record is not None and record.redirect_port else 0
    flow = await AuthorizationFlow.start(
        app,
        ClientCredentials(client_id, secret),
        scopes=args.scope,
        custom_fields=typed,
        port=port,
        allow_private_network=args.allow_private_network,
    )
    async with flow:
        connections.remember_oauth_client(
            app.name_slug, client_id=client_id, redirect_port=flow.redirect_port
        )
        _say(f"Redirect URI to register with {app.name}: {flow.redirect_uri}")
        if args.no_browser or not open_browser(flow.authorize_url):
            _say(f"Open: {flow.authorize_url}")
        else:
            _say(f"Opened {app.name}'s sign-in page in your browser; waiting for it (5 minutes).")
        authorized = await flow.finish()
    account = connections.add_oauth_account(
        project.id,
        args.user,
        app.name_slug,
        authorized,
        environment=args.environment,
        name=args.name,
        allow_private_network=args.allow_private_network,
    )
    if secret:  # it worked: remembered for this client id
        connections.remember_oauth_client(app.name_slug, client_id=client_id, client_secret=secret)
    print_account(account, as_json=args.json)
    return Exit.OK


def _oauth_app(ctx: Context, slug: str) -> App:
    app = ctx.catalog.get(slug)
    if app is None:
        raise UsageError(f"unknown app {slug!r} (find its slug with 'workbench apps -q TEXT')")
    if app.oauth is None:
        raise UsageError(f"{app.name} is not connected through OAuth: use 'workbench accounts add'")
    return app


def _client_secret(ctx: Context, app: App, client_id: str) -> str:
    """The client secret: environment, remembered, prompt; "" for a public client."""
    given = os.environ.get(CLIENT_SECRET_ENV)
    if given is not None:
        return given
    remembered = ctx.connections.oauth_client_secret(app.name_slug, client_id)
    if remembered is not None:
        return remembered
    if not sys.stdin.isatty():
        raise UsageError(
            f"no client secret for {app.name}'s client {client_id}: set {CLIENT_SECRET_ENV} "
            "(empty for a public client), or run on a terminal to be asked for it"
        )
    return getpass.getpass(f"Client secret of {client_id} (empty for a public client): ")


def _say(line: str) -> None:
    """One line on stderr (stdout is for the account only)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
