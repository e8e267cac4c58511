"""Benchmarks: run them all with ``python -m bench`` (or ``./dev bench``); not part of the tests."""
