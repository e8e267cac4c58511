"""The engine's wire: its HTTP/1.1 client, the pool, the address guard, decoding, timing.

``wire`` speaks HTTP/1.1 on one connection, ``pool`` keeps connections alive per origin and
opens each through ``netguard``'s dialer, ``transport`` turns the pool's answer into the
engine's result under one deadline, ``decoding`` undoes content codings within the size cap,
and ``timing`` turns the client's phase events into :class:`~workbench.core.exchange.Timings`.
"""
