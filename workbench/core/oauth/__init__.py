"""OAuth accounts: connect through the system browser, keep the tokens fresh.

``flow`` signs a person in (authorization code with PKCE S256, loopback redirect),
``refresh`` renews an account's access token for the engine, ``tokens`` is what the
vault keeps, ``client`` wraps Authlib's httpx client and names its failures,
``redirect`` is the loopback listener and ``transport`` puts token traffic on the
engine's guarded wire.
"""
