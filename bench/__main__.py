"""Run every benchmark (``python -m bench``) or one (``python -m bench NAME [options]``)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("engine_vs_direct", "server_vs_direct", "server_under_attack", "gui", "gui_body")


def main(argv: list[str]) -> int:
    """Run the named benchmark with its options, or every benchmark with defaults."""
    if argv and argv[0] in ("-h", "--help"):
        print("usage: python -m bench [NAME [options]]   benchmarks:", ", ".join(BENCHMARKS))
        return 0
    if argv and not argv[0].startswith("-"):
        name, options = argv[0], argv[1:]
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose from: {', '.join(BENCHMARKS)}")
            return 2
        return int(importlib.import_module(f"bench.{name}").main(options))
    status = 0
    for name in BENCHMARKS:
        print(f"== {name}")
        status |= int(importlib.import_module(f"bench.{name}").main(argv))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
