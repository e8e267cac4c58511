"""A disk that can be made full: a small tmpfs, or ENOSPC injected at the write layer.

The ``full_disk`` fixture runs a test twice. ``tmpfs``: as root on Linux, a tmpfs of a few
MiB is mounted under the test's directory and :meth:`SmallDisk.fill` fills it with a file,
so every write that needs a new block gets the kernel's real ``ENOSPC``; where mounting is
impossible (not root, not Linux, a container without the capability) this variant is
skipped with the reason. ``injected``: ``WORKBENCH_ENOSPC_AT`` names the secrets file's
and the workspace's write points (see ``workbench/core/store/faults.py``), so those
writes fail the same way in this process and in the CLI subprocesses it starts.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workbench.core.store.faults import ENOSPC_ENV

WRITE_POINTS = "vault-file.write,workspace.commit"
PAGE = 4096


@dataclass
class SmallDisk:
    """A directory whose file system can be filled and freed again.

    Attributes:
        root: where the test puts its files.
        mounted: True on a real tmpfs, False when ENOSPC is injected instead.
    """

    root: Path
    mounted: bool
    _filler: list[Path] = field(default_factory=list)

    def fill(self) -> None:
        """Make every further write that needs space fail with ENOSPC."""
        if not self.mounted:
            os.environ[ENOSPC_ENV] = WRITE_POINTS
            return
        filler = self.root / f"filler-{len(self._filler)}"
        self._filler.append(filler)
        chunk = b"\0" * PAGE
        with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
            while True:
                out.write(chunk)

    def free(self) -> None:
        """Give the space back."""
        os.environ.pop(ENOSPC_ENV, None)
        for filler in self._filler:
            filler.unlink(missing_ok=True)
        self._filler.clear()


@contextlib.contextmanager
def small_disk(directory: Path, *, real: bool, size: str = "4m") -> Iterator[SmallDisk]:
    """A :class:`SmallDisk` under ``directory``: a tmpfs of ``size``, or injected ENOSPC.

    With ``real``, the test is skipped (with the reason) when no tmpfs can be mounted.
    """
    root = directory / "disk"
    root.mkdir()
    if real:
        reason = _mount(root, size)
        if reason:
            pytest.skip(f"no real full disk here ({reason}); the 'injected' variant runs")
    disk = SmallDisk(root, mounted=real)
    try:
        yield disk
    finally:
        disk.free()
        if disk.mounted:
            subprocess.run(["umount", "-l", str(root)], check=False, capture_output=True)


@pytest.fixture(params=["tmpfs", "injected"])
def full_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmallDisk]:
    """A disk to fill: a real tmpfs, then the same test with ENOSPC injected."""
    with small_disk(tmp_path, real=request.param == "tmpfs") as disk:
        yield disk


def _mount(root: Path, size: str) -> str:
    """Mount a tmpfs on ``root``; "" on success, else why it could not be done."""
    if not sys.platform.startswith("linux"):
        return f"tmpfs needs Linux, not {sys.platform}"
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(root)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"mount failed: {exc}"
    return "" if done.returncode == 0 else f"mount failed: {done.stderr.strip()}"
