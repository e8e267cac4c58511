"""Keyset pagination with opaque cursors, as Pipedream's list endpoints page.

A cursor encodes the sort key of one item (not an offset), so deleting rows between two
page requests never skips or repeats an item. ``end_cursor`` is empty on the last page:
Node's pager loops while it is non-empty and Python's stops on an empty page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from workbench.server.errors import ApiError

T = TypeVar("T")
SortKey = tuple[str | float, ...]

MAX_CURSOR_CHARS = 2048


def encode_cursor(kind: str, key: SortKey) -> str:
    """An opaque cursor for the item whose sort key is ``key`` in a ``kind`` listing."""
    raw = json.dumps([kind, *key], separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> SortKey:
    """The sort key inside ``cursor``.

    Raises:
        ApiError: 400 when the cursor is malformed or belongs to another listing
            (another endpoint or another ``sort_key``).
    """
    invalid = ApiError(400, "The pagination cursor is invalid or belongs to another listing")
    if not cursor or len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise invalid from exc
    if not isinstance(value, list) or not value or value[0] != kind:
        raise invalid
    key = value[1:]
    if not key or not all(_is_key_part(part) for part in key):
        raise invalid
    return tuple(key)


def _is_key_part(part: object) -> bool:
    return isinstance(part, str) or (isinstance(part, int | float) and not isinstance(part, bool))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and the cursors around it.

    ``start_cursor`` (for ``before=``) is empty when nothing precedes the page, and
    ``end_cursor`` (for ``after=``) is empty when nothing follows it.
    """

    items: list[T]
    total_count: int
    start_cursor: str
    end_cursor: str

    def page_info(self) -> dict[str, object]:
        """Pipedream's ``page_info`` object."""
        return {
            "count": len(self.items),
            "total_count": self.total_count,
            "start_cursor": self.start_cursor,
            "end_cursor": self.end_cursor,
        }


def paginate(
    items: Sequence[T],
    *,
    key: Callable[[T], SortKey],
    kind: str,
    limit: int,
    after: str | None = None,
    before: str | None = None,
    descending: bool = False,
) -> Page[T]:
    """Sort ``items`` by ``key`` and cut the page the cursors and ``limit`` select.

    Args:
        items: every item of the listing (already filtered).
        key: a unique sort key per item (end it with the id to break ties).
        kind: names the listing and its order; cursors of another kind are refused.
        limit: the page size (at least 1).
        after: only items after this cursor.
        before: only items before this cursor; without ``after`` the page is the last
            ``limit`` of them, so ``before=start_cursor`` walks backwards.
        descending: sort largest key first.

    Raises:
        ApiError: 400 for a malformed or foreign cursor.
    """
    keyed = sorted(((key(item), item) for item in items), key=lambda pair: pair[0])
    if descending:
        keyed.reverse()
    window = keyed
    try:
        if after:
            bound = decode_cursor(after, kind)
            window = [p for p in window if (p[0] < bound if descending else p[0] > bound)]
        if before:
            bound = decode_cursor(before, kind)
            window = [p for p in window if (p[0] > bound if descending else p[0] < bound)]
    except TypeError as exc:  # a cursor whose parts have other types than this sort key
        raise ApiError(400, "The pagination cursor does not match this listing's sort") from exc
    start = max(0, len(window) - limit) if before and not after else 0
    chosen = window[start : start + limit]
    # Walking back is possible whenever anything precedes the page in the whole listing;
    # walking on only within the ``before`` bound, which pagers repeat on every request.
    has_previous = bool(chosen) and keyed[0][0] != chosen[0][0]
    has_next = start + len(chosen) < len(window)
    return Page(
        items=[item for _, item in chosen],
        total_count=len(items),
        start_cursor=encode_cursor(kind, chosen[0][0]) if chosen and has_previous else "",
        end_cursor=encode_cursor(kind, chosen[-1][0]) if chosen and has_next else "",
    )
