"""Named fault points for crash and full-disk tests; inert unless the environment names one.

``WORKBENCH_CRASH_AT=POINT`` kills the process (SIGKILL, no clean-up of any kind) when it
reaches ``POINT``; ``WORKBENCH_ENOSPC_AT=POINT[,POINT...]`` raises ``OSError(ENOSPC)``
there, as a full disk would. Without them a checkpoint is one environment look-up, and
checkpoints sit only on write paths. The points:

- ``vault-file.write``: before the secrets file's temporary copy is written.
- ``vault-file.replace``: the temporary copy is written and synced, not yet in place.
- ``workspace.commit``: a workspace transaction is about to commit.
- ``add.secrets-stored``: a new account's secrets are in the vault, its row not yet.
- ``add.committed``: the account's row is committed, its journal entry not yet cleared.
- ``remove.committed``: an account's row is deleted, its secrets not yet.
- ``remove-user.committed``: a user's rows are deleted, their accounts' secrets not yet.
- ``remove.secret-deleted``: one removed account's secrets are deleted (any others not yet).
"""

from __future__ import annotations

import errno
import os
import signal

CRASH_ENV = "WORKBENCH_CRASH_AT"
ENOSPC_ENV = "WORKBENCH_ENOSPC_AT"


def checkpoint(point: str) -> None:
    """Die or fail at ``point`` when the environment asks for it; otherwise do nothing.

    Raises:
        OSError: ``ENOSPC``, when ``WORKBENCH_ENOSPC_AT`` names ``point``.
    """
    if os.environ.get(CRASH_ENV) == point:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
    if point in os.environ.get(ENOSPC_ENV, "").split(","):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
