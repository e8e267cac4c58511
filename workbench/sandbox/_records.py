"""Deterministic sample records for the sandbox's paginated list endpoints."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any

from workbench.sandbox._common import BadParameter

CONTACT_COUNT = 137
TICKET_COUNT = 58

_FIRST = ("Ada", "Ben", "Chloe", "Dev", "Emil", "Fatima", "Gus", "Hana", "Ivan", "Jun",
          "Kira", "Luis", "Mei", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven",
          "Tariq")  # fmt: skip
_LAST = ("Adams", "Baker", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
         "Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov",
         "Quispe", "Rossi", "Silva", "Tanaka")  # fmt: skip
_COMPANIES = ("Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries",
              "Wayne Enterprises", "Wonka", "Cyberdyne", "Tyrell")  # fmt: skip
_SUBJECTS = ("Cannot log in", "Invoice is wrong", "Feature request: dark mode",
             "Export fails with large files", "Password reset email missing",
             "API returns 500", "Slow dashboard", "Webhook not delivered")  # fmt: skip
_STATUSES = ("open", "pending", "solved", "closed")
_PRIORITIES = ("low", "normal", "high", "urgent")
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def contact(number: int) -> dict[str, Any]:
    """The contact with this 1-based number; the same on every call and every machine."""
    first = _FIRST[number % len(_FIRST)]
    last = _LAST[(number * 7) % len(_LAST)]
    return {
        "id": f"ct_{number:04d}",
        "name": f"{first} {last}",
        "email": f"{first}.{last}.{number}@example.com".lower(),
        "company": _COMPANIES[(number * 3) % len(_COMPANIES)],
        "created_at": (_EPOCH + timedelta(hours=number * 5)).isoformat(),
    }


def ticket(number: int) -> dict[str, Any]:
    """The ticket with this 1-based number; deterministic like :func:`contact`."""
    return {
        "id": f"tk_{number:04d}",
        "subject": _SUBJECTS[number % len(_SUBJECTS)],
        "status": _STATUSES[number % len(_STATUSES)],
        "priority": _PRIORITIES[(number * 3) % len(_PRIORITIES)],
        "requester_id": f"ct_{(number * 11) % CONTACT_COUNT + 1:04d}",
        "created_at": (_EPOCH + timedelta(hours=number * 9)).isoformat(),
    }


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the given offset (URL-safe, unpadded)."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset inside a cursor made by :func:`encode_cursor`, or BadParameter."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadParameter(f"'cursor' is not a cursor this API issued: {cursor[:40]!r}") from None
    if prefix != "offset" or not 0 <= offset <= CONTACT_COUNT:
        raise BadParameter(f"'cursor' is not a cursor this API issued: {cursor[:40]!r}")
    return offset


def contacts_page(limit: int, cursor: str | None) -> dict[str, Any]:
    """One cursor-paginated page of contacts; ``next_cursor`` is None on the last page.

    Args:
        limit: how many contacts per page.
        cursor: the ``next_cursor`` of the previous page, or None for the first page.
    """
    offset = decode_cursor(cursor) if cursor else 0
    end = min(offset + limit, CONTACT_COUNT)
    return {
        "data": [contact(n) for n in range(offset + 1, end + 1)],
        "next_cursor": encode_cursor(end) if end < CONTACT_COUNT else None,
        "total": CONTACT_COUNT,
    }


def tickets_page(page: int, per_page: int) -> dict[str, Any]:
    """One page-numbered page of tickets (pages past the end are empty, not errors).

    Args:
        page: the 1-based page number.
        per_page: how many tickets per page.
    """
    start = (page - 1) * per_page
    end = min(start + per_page, TICKET_COUNT)
    return {
        "data": [ticket(n) for n in range(start + 1, end + 1)],
        "page": page,
        "per_page": per_page,
        "total": TICKET_COUNT,
        "total_pages": -(-TICKET_COUNT // per_page),
    }
