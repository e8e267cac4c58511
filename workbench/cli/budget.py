"""``workbench budget``: what is left of each project's rate budget, as every process sees it."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

from workbench.cli.args import add_common_options
from workbench.cli.context import Context, uses_context
from workbench.cli.exits import Exit
from workbench.cli.output import format_table, print_json, print_text
from workbench.core.exchange import BudgetSnapshot


def register(commands: Any) -> None:
    """Add ``budget`` to the top-level command parsers."""
    parser = commands.add_parser(
        "budget",
        help="show each project's rate budget: requests left, when the next one frees up",
        description=(
            "Show how many requests each project may still send in its sliding window "
            "(1,000 per 5 minutes) and when the oldest counted request leaves it. Every "
            "process on the workspace (the window, 'send', 'serve') spends the same budget; "
            "this reads it without spending any."
        ),
    )
    parser.add_argument("--project", metavar="P", help="one project (default: every project)")
    add_common_options(parser)
    parser.set_defaults(handler=show_budget)


def budget_json(project_id: str, snapshot: BudgetSnapshot, *, now: float) -> dict[str, Any]:
    """One project's budget as ``budget --json`` prints it."""
    resets_in = None if snapshot.resets_at is None else max(0.0, snapshot.resets_at - now)
    return {
        "project_id": project_id,
        **snapshot.to_dict(),
        "used": snapshot.limit - snapshot.remaining,
        "resets_in_seconds": None if resets_in is None else round(resets_in, 3),
    }


def _frees_up(data: dict[str, Any]) -> str:
    if data["resets_at"] is None:
        return "- (nothing spent)"
    moment = datetime.fromtimestamp(data["resets_at"], UTC).strftime("%H:%M:%S UTC")
    return f"in {data['resets_in_seconds']:.0f} s ({moment})"


@uses_context
async def show_budget(args: argparse.Namespace, ctx: Context) -> int:
    """Print the budget of one project (``--project``) or of every project."""
    projects = [ctx.project(args.project)] if args.project else ctx.workspace.list_projects()
    budget = ctx.workspace.budget
    now = time.time()
    rows = [budget_json(p.id, budget.peek(p.id), now=now) for p in projects]
    if args.json:
        print_json(rows[0] if args.project else rows)
    elif not rows:
        print_text("No projects yet. Create one: workbench projects create --name NAME")
    else:
        table = [
            (r["project_id"], r["remaining"], r["limit"], f"{r['window_seconds']:g}s", _frees_up(r))
            for r in rows
        ]
        print_text(format_table(("project", "left", "limit", "window", "next frees up"), table))
    return Exit.OK
