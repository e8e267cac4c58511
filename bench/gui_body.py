"""Body viewer: the event loop's longest stall and time to first row, against QPlainTextEdit.

Drives the real ``BodyView`` offscreen through the cases that freeze other API clients:
20 MB of minified JSON (shown gated, then "Show all", then find), one 5 MB line, 20 MB of
binary as hex. A :class:`~workbench.ui.stall.StallMeter` (a 5 ms timer) records the longest
gap in the event loop during each case. Beside it, the same body goes into a plain
``QPlainTextEdit.setPlainText`` (pretty text for JSON, Latin-1 text for the binary), the
way a naive viewer shows it. Cases run interleaved, ``--repeat`` times; the table shows
the median and the range. Exits 1 when a median stall of our viewer misses 50 ms.

    python -m bench gui_body --repeat 3
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from workbench.ui.bodyprep import human_size
from workbench.ui.stall import StallMeter
from workbench.ui.textwork import reindent_json
from workbench.ui.widgets.bodyview import BodyView

TARGET_STALL_MS = 50.0
MB = 1024 * 1024


@dataclass
class Case:
    """One measured case: its stalls and times to first row over the repeats."""

    name: str
    ours: bool
    stalls: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)

    def row(self) -> str:
        def cell(values: list[float]) -> str:
            if not values:
                return f"{'-':>22}"
            median = statistics.median(values)
            return f"{median:>9.0f} ({min(values):.0f}-{max(values):.0f})".rjust(22)

        return f"{self.name:<40}{cell(self.stalls)}{cell(self.firsts)}"


def json_body(size: int) -> bytes:
    """Minified JSON of about ``size`` bytes: records with strings, numbers, nesting."""
    rng = random.Random(7)
    items = []
    length = 12
    while length < size:
        item = {
            "id": len(items),
            "name": f"customer {rng.randrange(10**6)}",
            "email": f"user{rng.randrange(10**6)}@example.com",
            "balance": round(rng.uniform(-1000, 1000), 2),
            "active": rng.random() < 0.5,
            "tags": rng.sample(["alpha", "beta", "gamma", "delta", "omega"], 2),
            "address": {"city": "Zürich", "zip": f"{rng.randrange(10**4):04d}"},
        }
        items.append(item)
        length += len(json.dumps(item, separators=(",", ":"), ensure_ascii=False)) + 1
    return json.dumps({"items": items}, separators=(",", ":"), ensure_ascii=False).encode()


class Waiter:
    """Runs the event loop until a signal fires, counting fires from its creation on."""

    def __init__(self, signal: SignalInstance) -> None:
        self.signal = signal
        self.fired = 0
        self.loop = QEventLoop()
        signal.connect(self.on_fired)

    def on_fired(self, *args: object) -> None:
        self.fired += 1
        self.loop.quit()

    def wait(self, timeout_s: float = 120.0) -> None:
        """Return once the signal has fired (at once if it already did)."""
        if not self.fired:
            QTimer.singleShot(int(timeout_s * 1000), self.loop.quit)
            self.loop.exec()
        if not self.fired:
            raise TimeoutError(f"no signal within {timeout_s:.0f} s")
        self.fired -= 1

    def close(self) -> None:
        self.signal.disconnect(self.on_fired)


def spin(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds (lets late work show up as stalls)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def measure(meter: StallMeter, act: Callable[[], None], shown: Callable[[], None]) -> tuple:
    """Stall and time to first row of ``act`` (start the work) then ``shown`` (wait, paint)."""
    meter.start()
    spin(20)
    started = time.perf_counter()
    act()
    shown()
    first = (time.perf_counter() - started) * 1000.0
    spin(100)
    return meter.stop(), first


def ours(view: BodyView, meter: StallMeter, act: Callable[[], None]) -> tuple:
    waiter = Waiter(view.body_shown)

    def shown() -> None:
        waiter.wait()
        view.viewer.viewport().repaint()

    try:
        return measure(meter, act, shown)
    finally:
        waiter.close()


def plain(meter: StallMeter, text: str) -> tuple:
    editor = QPlainTextEdit()
    editor.setReadOnly(True)
    editor.resize(1000, 700)
    editor.show()
    spin(20)

    def act() -> None:
        editor.setPlainText(text)

    stall_first = measure(meter, act, editor.viewport().repaint)
    editor.close()
    editor.deleteLater()
    spin(20)
    return stall_first


def find_case(view: BodyView, meter: StallMeter, needle: str) -> tuple:
    viewer = view.viewer
    waiter = Waiter(viewer.matches_changed)

    def shown() -> None:
        while viewer.match_count() == 0:
            waiter.wait()
        viewer.viewport().repaint()

    try:
        return measure(meter, lambda: viewer.find(needle), shown)
    finally:
        waiter.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench gui_body", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every case (3)")
    parser.add_argument("--size", type=int, default=20, help="MB of JSON and of binary (20)")
    parser.add_argument("--line", type=int, default=5, help="MB of the single line (5)")
    options = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    json_20 = json_body(options.size * MB)
    line = b'{"blob":"' + base64.b64encode(random.Random(1).randbytes(options.line * MB * 3 // 4))
    line += b'"}'
    binary = random.Random(2).randbytes(options.size * MB)
    pretty_20 = reindent_json(json_20).decode()
    pretty_line = reindent_json(line).decode()
    binary_text = binary.decode("latin-1")

    view = BodyView()
    view.resize(1000, 700)
    view.show()
    meter = StallMeter()
    js, ln, bn = human_size(len(json_20)), human_size(len(line)), human_size(len(binary))
    cases = {
        key: Case(name, key.startswith("ours"))
        for key, name in (
            ("ours_json", f"{js} JSON: show (gated)"),
            ("ours_all", f"{js} JSON: Show all (pretty)"),
            ("ours_find", f"{js} JSON: find in all"),
            ("plain_json", f"  QPlainTextEdit, pretty {js} JSON"),
            ("ours_line", f"{ln} single line: show (gated)"),
            ("ours_line_all", f"{ln} single line: Show all"),
            ("plain_line", f"  QPlainTextEdit, the {ln} line"),
            ("ours_hex", f"{bn} binary: hex (gated)"),
            ("ours_hex_all", f"{bn} binary: hex, Show all"),
            ("plain_hex", f"  QPlainTextEdit, {bn} binary as Latin-1"),
        )
    }

    def record(key: str, result: tuple | None) -> None:
        if result is not None:
            cases[key].stalls.append(result[0])
            cases[key].firsts.append(result[1])

    def show_all() -> tuple | None:
        return ours(view, meter, view.show_all) if view.is_gated() else None

    for number in range(options.repeat):
        print(f"round {number + 1} of {options.repeat} ...", flush=True)
        order = [0, 1, 2] if number % 2 == 0 else [2, 1, 0]
        for body in order:
            if body == 0:
                record(
                    "ours_json",
                    ours(view, meter, lambda: view.show_body(json_20, "application/json")),
                )
                record("ours_all", show_all())
                record("ours_find", find_case(view, meter, '"id": 12345,'))
                record("plain_json", plain(meter, pretty_20))
            elif body == 1:
                record(
                    "ours_line", ours(view, meter, lambda: view.show_body(line, "application/json"))
                )
                record("ours_line_all", show_all())
                record("plain_line", plain(meter, pretty_line))
            else:
                record("ours_hex", ours(view, meter, lambda: view.show_body(binary, None)))
                record("ours_hex_all", show_all())
                record("plain_hex", plain(meter, binary_text))
            view.clear()
            spin(50)

    print(
        f"gui_body: longest event-loop stall and time to first row, ms, median (range) of "
        f"{options.repeat}; stall target {TARGET_STALL_MS:.0f} ms"
    )
    print(f"{'case':<40}{'longest stall':>22}{'first row':>22}")
    for case in cases.values():
        print(case.row())
    missed = [
        c.name
        for c in cases.values()
        if c.ours and c.stalls and statistics.median(c.stalls) > TARGET_STALL_MS
    ]
    view.close()
    app.processEvents()
    if missed:
        print("stall target missed:", ", ".join(missed))
        return 1
    return 0
