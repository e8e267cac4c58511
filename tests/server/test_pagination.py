"""Keyset pagination: cursors are positions, not offsets, and foreign cursors are refused."""

from __future__ import annotations

import pytest

from workbench.server.errors import ApiError
from workbench.server.pagination import decode_cursor, encode_cursor, paginate


def key(item: tuple[str, int]) -> tuple[str, float]:
    return (item[0], float(item[1]))


ITEMS = [(name, n) for n, name in enumerate("kbhadigcfej")]


def walk(items, *, limit: int, descending: bool = False) -> list[list[tuple[str, int]]]:
    pages, after = [], None
    while True:
        page = paginate(items, key=key, kind="t", limit=limit, after=after, descending=descending)
        pages.append(page.items)
        if not page.end_cursor:
            return pages
        after = page.end_cursor


@pytest.mark.parametrize("limit", [1, 3, 4, 11, 50])
@pytest.mark.parametrize("descending", [False, True])
def test_walking_forward_visits_every_item_once_in_order(limit: int, descending: bool):
    pages = walk(ITEMS, limit=limit, descending=descending)
    flat = [item for page in pages for item in page]
    assert flat == sorted(ITEMS, reverse=descending)
    assert all(len(page) <= limit for page in pages)
    assert pages[-1]  # never an empty trailing page (Node loops on a non-empty end_cursor)


def test_deleting_between_pages_skips_nothing():
    first = paginate(ITEMS, key=key, kind="t", limit=3)
    remaining = [i for i in ITEMS if i not in first.items[1:]]  # delete two seen items
    second = paginate(remaining, key=key, kind="t", limit=3, after=first.end_cursor)
    assert [i[0] for i in first.items + second.items] == list("abcdef")


def test_before_returns_the_page_just_before_the_cursor():
    first = paginate(ITEMS, key=key, kind="t", limit=4)
    second = paginate(ITEMS, key=key, kind="t", limit=4, after=first.end_cursor)
    back = paginate(ITEMS, key=key, kind="t", limit=4, before=second.start_cursor)
    assert back.items == first.items
    assert back.start_cursor == ""
    assert back.end_cursor == ""


def test_after_and_before_make_a_window():
    everything = paginate(ITEMS, key=key, kind="t", limit=100)
    assert everything.total_count == 11
    lower = encode_cursor("t", key(("b", 1)))
    upper = encode_cursor("t", key(("g", 6)))
    page = paginate(ITEMS, key=key, kind="t", limit=100, after=lower, before=upper)
    assert [i[0] for i in page.items] == list("cdef")


def test_page_info_shape():
    info = paginate(ITEMS, key=key, kind="t", limit=2).page_info()
    assert set(info) == {"count", "total_count", "start_cursor", "end_cursor"}
    assert (info["count"], info["total_count"], info["start_cursor"]) == (2, 11, "")
    assert info["end_cursor"]


def test_empty_listing():
    page = paginate([], key=key, kind="t", limit=5)
    assert page.page_info() == {
        "count": 0,
        "total_count": 0,
        "start_cursor": "",
        "end_cursor": "",
    }


def test_cursor_round_trip_is_url_safe():
    cursor = encode_cursor("apps:name", ("ünïcode/+=", 1.5))
    assert cursor.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(cursor, "apps:name") == ("ünïcode/+=", 1.5)


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "é",
        "bm90IGpzb24",  # "not json"
        encode_cursor("other", ("a", 1.0)),
        "WyJ0Il0",  # ["t"]: no key
        "WyJ0IiwgdHJ1ZV0",  # ["t", true]
        "WyJ0IiwgbnVsbF0",  # ["t", null]
        "eyJ0IjogMX0",  # {"t": 1}
        "A" * 3000,
    ],
)
def test_bad_cursors_are_400(cursor: str):
    with pytest.raises(ApiError) as caught:
        paginate(ITEMS, key=key, kind="t", limit=2, after=cursor)
    assert caught.value.status == 400


def test_blank_cursor_means_from_the_start():
    assert paginate(ITEMS, key=key, kind="t", limit=2, after="").items == [("a", 3), ("b", 1)]


def test_cursor_with_other_key_types_is_400():
    cursor = encode_cursor("t", (1.0, "a"))
    with pytest.raises(ApiError) as caught:
        paginate(ITEMS, key=key, kind="t", limit=2, before=cursor)
    assert caught.value.status == 400
