"""Run the ``workbench`` command line in a subprocess, as a user or a script would."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from workbench.core.store.vault import PASSPHRASE_ENV, Vault, default_secrets_file, open_vault
from workbench.core.store.vaultfile import EncryptedFileKeyring

CLI_TIMEOUT = 60.0  # seconds; a generous cap, never a timing assertion
PASSPHRASE = "correct horse battery staple"


@dataclass(frozen=True, repr=False)
class CliResult:
    """What one ``workbench`` run produced."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as exactly one JSON value (fails on anything else)."""
        return json.loads(self.stdout)

    def error_line(self) -> str:
        """The single stderr line of a failed run (asserts there is exactly one)."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one stderr line, got {self.stderr!r}"
        assert lines[0].startswith("workbench: error: "), lines[0]
        return lines[0]

    def __repr__(self) -> str:
        return f"workbench {' '.join(self.args)} -> {self.code}\n{self.stdout}\n{self.stderr}"


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a CLI subprocess: ours (in-memory keyring) plus ``extra``.

    The default workspace's directory is made uncreatable, so a test that forgets
    ``--workspace``/``--demo`` fails instead of writing into the developer's own data.
    """
    env = dict(os.environ)
    env.pop("WORKBENCH_DEBUG", None)
    env["XDG_DATA_HOME"] = "/dev/null/no-default-workspace-in-tests"
    env.update(extra or {})
    return env


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, stdin: bytes | None = None
) -> CliResult:
    """Run ``python -m workbench ARGS`` and collect its exit code and output.

    stdin is never a terminal here (``/dev/null`` unless ``stdin`` bytes are given), so
    the CLI must not prompt. No traceback may ever appear on stderr.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        env=cli_env(env),
        timeout=CLI_TIMEOUT,
        check=False,
    )
    result = CliResult(
        args,
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )
    assert "Traceback" not in result.stderr, repr(result)
    return result


def prepare_secrets_file(workspace: Path) -> dict[str, str]:
    """Create the encrypted secrets file of ``workspace`` with a cheap key derivation.

    An existing file keeps its own scrypt cost, so every CLI run in the test unlocks it
    in milliseconds instead of the production half second. Returns the environment that
    unlocks it (``--secrets file`` reads the passphrase from it).
    """
    EncryptedFileKeyring(default_secrets_file(workspace), PASSPHRASE, scrypt_n=2**10)
    return {PASSPHRASE_ENV: PASSPHRASE}


def file_vault(workspace: Path) -> Vault:
    """The workspace's encrypted secrets file, opened in this process to inspect it."""
    return open_vault("file", path=default_secrets_file(workspace), passphrase=PASSPHRASE)


class RunningCli:
    """A long-running ``workbench`` command (serve, demo) whose stdout is read as it comes.

    Use as a context manager; on exit a process still running is killed, so a failing
    test never leaves a server behind.
    """

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        """Start ``python -m workbench ARGS``."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workbench", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(env),
            text=True,
            encoding="utf-8",
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stdout = ""
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def read_until(self, marker: str, timeout: float = CLI_TIMEOUT) -> str:
        """Everything printed so far, once ``marker`` has appeared; fails at EOF or timeout."""
        deadline = time.monotonic() + timeout
        while marker not in self.stdout:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"exited before printing {marker!r}:\n{self.stdout}")
            self.stdout += line
        return self.stdout

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        """Send ``sig`` and return the exit code and stderr."""
        self.process.send_signal(sig)
        self.process.wait(timeout=CLI_TIMEOUT)  # stderr is a few lines: it fits the pipe
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        assert "Traceback" not in stderr, stderr
        return self.process.returncode, stderr

    def __enter__(self) -> RunningCli:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


def bearer_app_dict(
    authority: str, *, slug: str = "local_crm", name: str = "Local CRM (test)"
) -> dict[str, Any]:
    """An app in our schema whose only allowed domain is ``authority`` (a local upstream),
    sending a bearer token."""
    return {
        "name_slug": slug,
        "name": name,
        "auth_type": "keys",
        "connect": {
            "proxy_enabled": True,
            "allowed_domains": [authority],
            "base_proxy_target_url": f"http://{authority}",
        },
        "credentials": [{"name": "api_token", "label": "API token"}],
        "injection": [
            {
                "in": "header",
                "name": "Authorization",
                "template": "Bearer {{credentials.api_token}}",
            }
        ],
    }


def write_app_file(directory: Path, authority: str) -> Path:
    """An import file in our schema: one app whose allowed domain is the sandbox."""
    app = {
        **bearer_app_dict(authority),
        "verification": {"method": "GET", "path": "/v1/me", "expect_status": [200]},
    }
    path = directory / "apps.json"
    path.write_text(json.dumps({"schema": 1, "apps": [app]}), encoding="utf-8")
    return path


@contextmanager
def demo_server() -> Iterator[tuple[RunningCli, dict[str, str], str]]:
    """``workbench serve --demo --json`` running: the process, its server info, a token.

    The info holds ``base_url``, ``project_id``, ``client_id`` and ``client_secret``.
    """
    with RunningCli("serve", "--demo", "--json") as running:
        info: dict[str, str] = json.loads(running.read_until("\n}\n"))["server"]
        yield running, info, _token(info)
        if running.process.poll() is None:
            running.stop()  # Ctrl-C: the demo removes its temporary workspace


def _token(info: dict[str, str]) -> str:
    """A bearer token for the demo project, from its client credentials."""
    response = httpx.post(
        f"{info['base_url']}/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
        },
        timeout=CLI_TIMEOUT,
        trust_env=False,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
