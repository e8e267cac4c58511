"""Mutation testing of the security core: ``./dev mutate`` (``python -m tests.mutation``)."""
