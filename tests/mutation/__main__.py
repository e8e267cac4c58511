"""Run mutmut over the security core and print the survivors nobody has explained.

``./dev mutate`` (``python -m tests.mutation``) mutates the modules ``[tool.mutmut]`` in
pyproject.toml names (the rule book's URL, host, header and url64 modules, the address
guard, credential injection and scrubbing, the rate budget), runs each mutant against
the tests that reach the mutated function (mutmut maps them in a first, traced run of
the listed test files), then reads the results. A surviving mutant is either a gap in
the tests, to be closed with a test, or equivalent to the original, to be listed with
its reason in ``tests/mutation/equivalents.md``. Exit status 1 when any survivor is
neither; 0 otherwise. Takes 10-20 minutes on two cores; not part of CI.

    ./dev mutate                 # a fresh run of every mutant
    ./dev mutate --reuse         # report on the last run's results (mutants/) again
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

EQUIVALENTS = Path(__file__).with_name("equivalents.md")
MUTANTS = Path("mutants")
LOG = MUTANTS / "mutmut-run.log"
# One entry per line: - `module.function` `original line` → `mutated line`: reason
_ENTRY = re.compile(r"^- `(?P<function>[^`]+)` `(?P<before>.*?)` → `(?P<after>.*?)`: (?P<why>.+)$")
_MUTANT = re.compile(r"^(?P<module>[\w.]+)\.x(?P<mangled>[ǁ\w]+?)__mutmut_\d+$")
# A test failed, pytest broke, the type checker refused it, or the tests never finished
# (mutmut's timeouts: a mutant that turns a loop endless is caught, not survived).
_KILLED = {1, 3, 37, 24, -24, 36, 152, 255}
_LINE_BREAK = " ⏎ "  # joins the lines of a change that spans several


@dataclass(frozen=True)
class Change:
    """What one mutant changed: the function and its lines before and after."""

    function: str
    before: str
    after: str

    def entry(self) -> str:
        """This change as a line of equivalents.md (without the reason)."""
        return f"- `{self.function}` `{self.before}` → `{self.after}`"


def run_mutmut() -> float:
    """A fresh mutmut run; its progress goes to mutants/mutmut-run.log. Returns seconds."""
    shutil.rmtree(MUTANTS, ignore_errors=True)
    MUTANTS.mkdir()
    started = time.monotonic()
    print(f"mutmut run: progress in {LOG} ...", flush=True)
    # The property tests run once per mutant: 100 examples each instead of 400.
    env = {**os.environ, "WORKBENCH_PROPERTY_EXAMPLES": "100"}
    with LOG.open("w") as log:
        done = subprocess.run(
            [sys.executable, "-m", "mutmut", "run"], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = LOG.read_text(errors="replace")[-2000:]
        raise SystemExit(f"mutmut run failed (exit {done.returncode}):\n{tail}")
    return seconds


def results() -> dict[str, dict[str, int | None]]:
    """Exit codes by mutant name, per mutated source file (from mutmut's .meta files)."""
    found = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        source = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        found[source] = json.loads(meta.read_text())["exit_code_by_key"]
    if not found:
        raise SystemExit("no mutmut results in mutants/: run without --reuse first")
    return found


def change_of(name: str, source: str) -> Change:
    """The lines mutant ``name`` changed, read from the diff mutmut shows for it."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=source).splitlines()
    before = [
        line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")
    ]
    after = [
        line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")
    ]
    match = _MUTANT.match(name)
    assert match, name
    # mutmut names a function f "x_f" and a method C.m "xǁCǁm".
    function = match["mangled"][1:].replace("ǁ", ".")
    return Change(
        f"{match['module']}.{function}", _LINE_BREAK.join(before), _LINE_BREAK.join(after)
    )


def _changed(diff: list[str], sign: str) -> list[str]:
    """The lines of a unified diff on one side (``-`` or ``+``), without the file names."""
    return [line[1:].strip() for line in diff if line[:1] == sign and line[:3] != sign * 3]


def read_equivalents() -> dict[Change, str]:
    """The listed equivalent mutants and the reason each is equivalent."""
    listed = {}
    for number, line in enumerate(EQUIVALENTS.read_text().splitlines(), 1):
        if not line.startswith("- `"):
            continue
        match = _ENTRY.match(line)
        if match is None:
            raise SystemExit(f"{EQUIVALENTS}:{number}: not `- \\`f\\` \\`old\\` → \\`new\\`: why`")
        listed[Change(match["function"], match["before"], match["after"])] = match["why"]
    return listed


def report(seconds: float | None) -> int:
    """Print the counts per module and every unexplained survivor; the exit status."""
    listed = read_equivalents()
    used: set[Change] = set()
    unexplained: list[tuple[str, str, Change]] = []
    print(f"{'module':<32}{'mutants':>8}{'killed':>8}{'equivalent':>12}{'survived':>10}")
    totals: Counter[str] = Counter()
    for source, codes in results().items():
        counts: Counter[str] = Counter()
        for name, code in sorted(codes.items()):
            counts["mutants"] += 1
            if code in _KILLED:
                counts["killed"] += 1
                continue
            change = change_of(name, source)
            if change in listed:
                used.add(change)
                counts["equivalent"] += 1
                continue
            counts["survived"] += 1
            unexplained.append((name, _status(code), change))
        totals.update(counts)
        module = source.removeprefix("workbench/").removesuffix(".py")
        print(f"{module:<32}" + "".join(f"{counts[k]:>{w}}" for k, w in _COLUMNS))
    print(f"{'total':<32}" + "".join(f"{totals[k]:>{w}}" for k, w in _COLUMNS))
    if seconds is not None:
        print(f"run time: {seconds / 60:.1f} min")
    for name, status, change in unexplained:
        print(f"\n{status}: {name}\n  {change.entry()}: WHY")
    stale = [change for change in listed if change not in used]
    for change in stale:
        print(f"\nlisted but no longer a survivor (remove it): {change.entry()}")
    if unexplained:
        print(f"\n{len(unexplained)} survivors: kill each with a test or list it in {EQUIVALENTS}")
    return 1 if unexplained else 0


_COLUMNS = (("mutants", 8), ("killed", 8), ("equivalent", 12), ("survived", 10))


def _status(code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return str(status_by_exit_code[code])


def main(argv: list[str]) -> int:
    """Run (unless ``--reuse``) and report."""
    parser = argparse.ArgumentParser(prog="./dev mutate", description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="report on mutants/ as it is")
    options = parser.parse_args(argv)
    seconds = None if options.reuse else run_mutmut()
    return report(seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
