"""``workbench projects``: list and create projects, show or rotate their REST credentials."""

from __future__ import annotations

import argparse
from typing import Any

from workbench.cli.args import Parser, add_common_options
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import Exit
from workbench.cli.output import format_fields, format_table, print_json, print_text, project_json


def register(commands: Any) -> None:
    """Add ``projects list|create|credentials`` to the top-level command parsers."""
    group = commands.add_parser(
        "projects",
        help="list and create projects; show their REST client credentials",
        description="Projects own external users, accounts and one rate budget.",
    )
    actions = group.add_subparsers(
        dest="action", metavar="ACTION", title="actions", required=True, parser_class=Parser
    )

    listing = actions.add_parser("list", help="list the projects")
    add_common_options(listing)
    listing.set_defaults(handler=list_projects)

    create = actions.add_parser("create", help="create a project and print it (with its id)")
    create.add_argument("--name", required=True, help="the project's name")
    add_common_options(create)
    create.set_defaults(handler=create_project)

    credentials = actions.add_parser(
        "credentials",
        help="show a project's client_id and client_secret for the REST server",
        description=(
            "Show the client credentials the Pipedream SDKs use against 'workbench serve' "
            "(POST /v1/oauth/token). The secret lives in the vault."
        ),
    )
    credentials.add_argument("project", metavar="PROJECT", help="the project id (proj_...)")
    credentials.add_argument(
        "--rotate", action="store_true", help="replace the client secret with a new one first"
    )
    add_common_options(credentials)
    credentials.set_defaults(handler=show_credentials)


@uses_context
async def list_projects(args: argparse.Namespace, ctx: Context) -> int:
    """Print every project."""
    projects = ctx.workspace.list_projects()
    if args.json:
        print_json([project_json(p) for p in projects])
    elif not projects:
        print_text("No projects yet. Create one: workbench projects create --name NAME")
    else:
        rows = [(p.id, p.name, p.client_id, p.created_at) for p in projects]
        print_text(format_table(("id", "name", "client_id", "created_at"), rows))
    return Exit.OK


@uses_context
async def create_project(args: argparse.Namespace, ctx: Context) -> int:
    """Create a project and print it."""
    project = ctx.workspace.create_project(args.name)
    if args.json:
        print_json(project_json(project))
    else:
        print_text(format_fields(project_json(project)))
    return Exit.OK


@uses_context
async def show_credentials(args: argparse.Namespace, ctx: Context) -> int:
    """Print (after an optional rotation) a project's REST client credentials."""
    project = ctx.project(args.project)
    if args.rotate:
        secret = ctx.connections.rotate_client_secret(project.id)
        client_id = project.client_id
    else:
        client_id, secret = ctx.connections.project_credentials(project.id)
    data = {"project_id": project.id, "client_id": client_id, "client_secret": secret}
    if args.json:
        print_json(data)
    else:
        print_text(format_fields(data))
    return Exit.OK
