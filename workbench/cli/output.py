"""Printing for the command line: one JSON value, aligned tables, key/value blocks."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # for annotations only: the window's start-up imports this module too
    from workbench.core.accounts import Account
    from workbench.core.store.workspace import ExternalUser, Project

# C0 controls (but tab and newline), DEL and C1 controls: an upstream body or header could
# carry terminal escape sequences that rewrite what the user sees, so text shown on a
# terminal has them escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Escape control characters (keeping newlines and tabs) so text is safe on a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def print_json(value: Any, *, file: TextIO | None = None) -> None:
    """Print exactly one JSON value (pretty, UTF-8 kept) followed by a newline."""
    out = file or sys.stdout
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    out.flush()


def pretty_json(value: Any, *, width: int = 88, indent: int = 0) -> str:
    """JSON indented by two spaces, with containers that fit in ``width`` kept on one line.

    Header lists like ``[["accept", "*/*"], ...]`` stay readable instead of taking five
    lines per pair.
    """
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or indent + len(flat) <= width:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: "
            f"{pretty_json(v, width=width, indent=indent + 2)}"
            for k, v in value.items()
        ]
        opening, closing = "{", "}"
    else:
        items = [f"{inner}{pretty_json(v, width=width, indent=indent + 2)}" for v in value]
        opening, closing = "[", "]"
    return opening + "\n" + ",\n".join(items) + "\n" + " " * indent + closing


def print_text(text: str, *, file: TextIO | None = None) -> None:
    """Print text, ending with exactly one newline."""
    out = file or sys.stdout
    out.write(text.rstrip("\n") + "\n")
    out.flush()


def print_error(message: str) -> None:
    """Print one ``workbench: error: ...`` line on stderr."""
    one_line = " ".join(printable(message).split())
    sys.stderr.write(f"workbench: error: {one_line}\n")
    sys.stderr.flush()


def print_warning(message: str) -> None:
    """Print one ``workbench: warning: ...`` line on stderr."""
    sys.stderr.write(f"workbench: warning: {' '.join(printable(message).split())}\n")
    sys.stderr.flush()


def cell(value: object) -> str:
    """A value as it appears in a table or a key/value block."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return printable(str(value))


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns aligned on the widest cell; the last column is not padded."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(w) for v, w in zip(values[:-1], widths[:-1], strict=True)]
        return "  ".join([*padded, values[-1]]).rstrip()

    return "\n".join([line([h.upper() for h in headers]), *(line(row) for row in cells)])


def format_fields(data: Mapping[str, object]) -> str:
    """A ``key: value`` block, keys aligned."""
    width = max((len(k) for k in data), default=0)
    return "\n".join(f"{k + ':':<{width + 1}} {cell(v)}" for k, v in data.items())


def project_json(project: Project) -> dict[str, Any]:
    """A project as the CLI prints it."""
    return {
        "id": project.id,
        "name": project.name,
        "client_id": project.client_id,
        "created_at": project.created_at,
    }


def user_json(user: ExternalUser) -> dict[str, Any]:
    """An external user as the CLI prints it."""
    return {
        "id": user.id,
        "external_id": user.external_id,
        "project_id": user.project_id,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def account_json(account: Account) -> dict[str, Any]:
    """An account as the CLI prints it (never a secret: accounts carry none)."""
    return {
        "id": account.id,
        "project_id": account.project_id,
        "external_user_id": account.external_user_id,
        "app": account.app_slug,
        "environment": account.environment,
        "name": account.name,
        "custom_fields": dict(account.custom_fields),
        "allow_private_network": account.allow_private_network,
        "healthy": account.healthy,
        "health_detail": account.health_detail,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


def print_account(account: Account, *, as_json: bool) -> None:
    """A new account as ``accounts add`` and ``accounts connect`` print it."""
    data = account_json(account)
    if as_json:
        print_json(data)
    else:
        print_text(format_fields(data))
