"""Row sources: rows of text and of a hex dump, and the (row, column) <-> byte mapping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ui.rows import HexRows, TextRows
from workbench.ui.textwork import index_rows


@pytest.fixture(autouse=True)
def _no_leaked_windows() -> None:
    """Overrides the ui conftest's guard, which needs a QApplication: these tests have none."""


def _text_rows(data: bytes, max_cols: int = 8) -> TextRows:
    starts, widest = index_rows(data, max_cols)
    return TextRows(data, starts, widest)


def test_text_rows_show_lines_without_their_breaks() -> None:
    rows = _text_rows(b"ab\r\ncd\n\nlong line here\n")
    assert rows.count == 5
    assert [rows.text(i) for i in range(rows.count)] == ["ab", "cd", "", "long lin", "e here"]
    assert [rows.is_continuation(i) for i in range(rows.count)] == [
        False,
        False,
        False,
        False,
        True,
    ]
    assert rows.widest == 8
    assert _text_rows(b"").count == 0


def test_text_rows_draw_controls_and_bad_bytes_one_cell_each() -> None:
    rows = _text_rows(b"a\tb\x00\x1b\x7f\xffz", max_cols=20)
    assert rows.text(0) == "a b\u00b7\u00b7\u00b7\ufffdz"
    assert len(rows.raw(0)) == len(rows.text(0))
    assert rows.byte_of(0, 8) == 8  # past the bad byte: still one column for one byte


def test_text_positions_map_to_bytes_and_back() -> None:
    data = "añb\ncé\n".encode()
    rows = _text_rows(data)
    assert rows.byte_of(0, 2) == 3  # after "añ"
    assert rows.pos_of(3) == (0, 2)
    assert rows.pos_of(5) == (1, 0)
    assert rows.pos_of(len(data)) == (1, 2)
    assert rows.text_between((0, 1), (1, 1)) == "ñb\nc"
    assert rows.spans_of_bytes(0, 1, 4) == [(1, 3)]
    assert rows.spans_of_bytes(1, 0, 3) == []
    assert rows.plain_text() == "añb\ncé\n"


@settings(max_examples=200)
@given(text=st.text(max_size=60), max_cols=st.integers(4, 10))
def test_every_character_boundary_round_trips(text: str, max_cols: int) -> None:
    data = text.encode()
    rows = _text_rows(data, max_cols)
    for row in range(rows.count):
        for col in range(len(rows.raw(row)) + 1):
            offset = rows.byte_of(row, col)
            back = rows.pos_of(offset)
            # The end of a row is the start of the next one when no line break sits between.
            assert back == (row, col) or (back == (row + 1, 0) and col == len(rows.raw(row)))


def test_hex_rows_map_columns_to_bytes() -> None:
    data = bytes(range(40))
    rows = HexRows(data)
    assert rows.count == 3
    assert rows.text(2).startswith("00000020  20 21")
    assert rows.widest == len(rows.text(0)) == 78
    assert rows.byte_of(1, 10) == 16
    assert rows.byte_of(1, 12) == 16  # the space after a pair belongs to it
    assert rows.byte_of(1, 35) == 24  # first pair of the second group
    assert rows.byte_of(1, 61 + 5) == 21  # the ASCII column
    assert rows.byte_of(2, 77) == 40  # past the end: clamped
    assert rows.pos_of(17) == (1, 13)
    assert rows.spans_of_bytes(0, 6, 10) == [(28, 40), (67, 71)]
    assert rows.spans_of_bytes(1, 6, 10) == []
    assert rows.text_between((0, 10), (0, 15)) == "00 01"
    assert rows.text_between((0, 70), (1, 8)) == ".......|\n00000010"
    assert rows.plain_text().count("\n") == 2
