"""Random identifiers and tokens: ``apn_``/``proj_``/``exu_`` ids and base62 secrets."""

from __future__ import annotations

import re
import secrets
import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ID_LENGTH = 12  # 62**12 ≈ 3e21: collisions are not a practical concern

_ID_RE = re.compile(r"[a-z]+_[A-Za-z0-9]+")


def random_base62(length: int) -> str:
    """Return ``length`` characters drawn uniformly from ``[0-9A-Za-z]`` by a CSPRNG.

    Args:
        length: how many characters; must be positive.

    Raises:
        ValueError: when ``length`` is not positive.
    """
    if length <= 0:
        raise ValueError(f"length must be positive, got {length}")
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_id(prefix: str) -> str:
    """Return a fresh id such as ``apn_3kTq9ZbW0aXy``: the prefix, ``_``, 12 base62 chars.

    Args:
        prefix: lower-case letters, with or without the trailing underscore
            (``"apn"`` and ``"apn_"`` give the same shape).

    Raises:
        ValueError: when the prefix is not lower-case letters.
    """
    stem = prefix.removesuffix("_")
    if not stem.isascii() or not stem.isalpha() or not stem.islower():
        raise ValueError(f"id prefix must be lower-case letters, got {prefix!r}")
    return f"{stem}_{random_base62(ID_LENGTH)}"


def is_id(value: str, prefix: str) -> bool:
    """True when ``value`` looks like an id with this prefix (``is_id("apn_x1", "apn")``).

    Fixed ids such as the demo's ``apn_demoAliceCrm`` pass too: only the shape is checked
    (prefix, underscore, then one or more ASCII letters or digits).
    """
    stem = prefix.removesuffix("_")
    return _ID_RE.fullmatch(value) is not None and value.startswith(stem + "_")
