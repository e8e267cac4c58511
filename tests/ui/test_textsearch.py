"""Find over a body's bytes: every match, case folding beyond ASCII, bounded chunks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ui import textsearch
from workbench.ui.textsearch import compile_needle, find_all, match_end


@pytest.fixture(autouse=True)
def _no_leaked_windows() -> None:
    """Overrides the ui conftest's guard, which needs a QApplication: these tests have none."""


def _starts(data: bytes, text: str, case_sensitive: bool = False) -> list[int]:
    return list(find_all(data, compile_needle(text, case_sensitive))[0])


def test_find_ignores_case_unless_asked() -> None:
    data = b'{"Name": "name", "NAME": 1}'
    assert _starts(data, "name") == [2, 10, 18]
    assert _starts(data, "name", case_sensitive=True) == [10]
    assert _starts(data, "") == []


def test_find_folds_case_beyond_ascii() -> None:
    data = "Éclair éclair ÉCLAIR".encode()
    assert len(_starts(data, "éclair")) == 3
    assert len(_starts(data, "éclair", case_sensitive=True)) == 1
    needle = compile_needle("é")
    assert match_end(data, needle, 0) == 2


def test_find_escapes_regex_syntax_and_never_overlaps() -> None:
    assert _starts(b"a.b axb a.b", "a.b") == [0, 8]
    assert _starts(b"aaaa", "aa") == [0, 2]


def test_find_stops_at_the_limit() -> None:
    starts, truncated = find_all(b"x" * 100, compile_needle("x"), limit=10)
    assert (len(starts), truncated) == (10, True)
    assert find_all(b"x" * 10, compile_needle("x"), limit=10)[1] is True
    assert find_all(b"x" * 9, compile_needle("x"), limit=10)[1] is False


@settings(max_examples=300)
@given(
    data=st.lists(st.sampled_from(["a", "A", "é", "É", "ab", " "])).map("".join),
    needle=st.lists(st.sampled_from(["a", "A", "é", "b"]), min_size=1, max_size=3).map("".join),
    chunk=st.integers(1, 7),
    case_sensitive=st.booleans(),
)
def test_chunked_find_agrees_with_one_regex_pass(
    data: str, needle: str, chunk: int, case_sensitive: bool
) -> None:
    """Matches that straddle a chunk boundary are found once, as a single pass finds them."""
    flags = 0 if case_sensitive else re.IGNORECASE
    expected = [m.start() for m in re.finditer(re.escape(needle), data, flags)]
    expected_bytes = [len(data[:i].encode()) for i in expected]
    progress: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textsearch, "_CHUNK", chunk)
        starts, truncated = find_all(
            data.encode(),
            compile_needle(needle, case_sensitive),
            progress=lambda done, total: progress.append(done),
        )
    assert list(starts) == expected_bytes
    assert not truncated
    assert progress == sorted(progress)
