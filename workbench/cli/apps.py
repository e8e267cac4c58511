"""``workbench apps``: browse the catalog, and import apps into the workspace."""

from __future__ import annotations

import argparse
from typing import Any

from workbench.cli.args import Parser, add_common_options
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import Exit
from workbench.cli.output import format_table, print_json, print_text
from workbench.core.catalog import App, app_to_dict, load_app_file


def register(commands: Any) -> None:
    """Add ``apps`` (browse) and ``apps import FILE`` to the top-level command parsers."""
    browse = commands.add_parser(
        "apps",
        help="browse the app catalog, or import apps ('apps import FILE')",
        description=(
            "List the catalog: builtin apps plus those imported into the workspace. "
            "'workbench apps import FILE' adds apps from a file in the workbench's own "
            "schema or a page of Pipedream's /v1/connect/apps."
        ),
    )
    browse.add_argument(
        "-q",
        "--query",
        metavar="TEXT",
        default="",
        help="only apps whose name, slug or domain contains TEXT (any case)",
    )
    browse.add_argument(
        "--proxy-enabled", action="store_true", help="only apps the proxy can be used with"
    )
    add_common_options(browse)
    browse.set_defaults(handler=list_apps)

    actions = browse.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser)
    importing = actions.add_parser(
        "import",
        help="import apps from FILE into the workspace",
        description=(
            "Import apps from FILE into the workspace; they join the catalog for every later "
            "command (an imported app replaces a builtin one with the same slug)."
        ),
    )
    importing.add_argument("file", metavar="FILE", help="a JSON file of apps")
    # SUPPRESS keeps options given before 'import' (`apps --json import F`) from being reset
    # by this parser's defaults.
    add_common_options(importing, suppress_defaults=True)
    importing.set_defaults(handler=import_apps)


def app_row(app: App) -> tuple[object, ...]:
    """One table row: slug, name, auth, proxy, domains."""
    return (
        app.name_slug,
        app.name,
        app.auth_type,
        app.connect.proxy_enabled,
        list(app.connect.allowed_domains),
    )


def app_json(app: App) -> dict[str, Any]:
    """An app in the catalog's own schema, with where it came from."""
    return {**app_to_dict(app), "origin": app.origin}


@uses_context
async def list_apps(args: argparse.Namespace, ctx: Context) -> int:
    """Print the catalog's apps matching the filters."""
    found = ctx.catalog.search(args.query, proxy_enabled=True if args.proxy_enabled else None)
    if args.json:
        print_json([app_json(app) for app in found])
    elif not found:
        print_text("No app matches.")
    else:
        headers = ("slug", "name", "auth", "proxy", "domains")
        print_text(format_table(headers, [app_row(app) for app in found]))
        print_text(f"{len(found)} of {len(ctx.catalog)} apps")
    return Exit.OK


@uses_context
async def import_apps(args: argparse.Namespace, ctx: Context) -> int:
    """Validate the file's apps, then store them in the workspace."""
    apps = load_app_file(args.file)
    # Building the merged catalog first refuses a file whose apps would clash with the
    # catalog (an id taken by another app) before anything is stored.
    ctx.catalog.with_apps(apps)
    builtin = {app.name_slug for app in ctx.catalog if app.origin == "builtin"}
    for app in apps:
        ctx.workspace.save_app(app_to_dict(app))
    slugs = [app.name_slug for app in apps]
    if args.json:
        print_json({"imported": slugs, "replaced_builtin": [s for s in slugs if s in builtin]})
    else:
        print_text(format_table(("slug", "name", "auth", "proxy", "domains"), map(app_row, apps)))
        replaced = [s for s in slugs if s in builtin]
        if replaced:
            print_text(f"These replace builtin apps: {', '.join(replaced)}")
        print_text(f"Imported {len(apps)} app(s) into {ctx.where}.")
    return Exit.OK
