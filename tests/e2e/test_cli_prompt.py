"""On a terminal, ``accounts add`` asks for missing secrets (and the passphrase) without echo."""

from __future__ import annotations

import os
import pty
import re
import select
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tests.helpers.cli import CLI_TIMEOUT, PASSPHRASE, cli_env, file_vault, prepare_secrets_file
from workbench.core.store.vault import PASSPHRASE_ENV
from workbench.core.store.workspace import Workspace

PROMPT = re.compile(rb"(\(api_key\)|\(email\)|Passphrase for [^\n]*): $")


def run_on_terminal(args: Sequence[str], answers: dict[bytes, str]) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, answering each prompt; return exit code and output."""
    env = cli_env()
    env.pop(PASSPHRASE_ENV, None)  # the passphrase must be asked for too
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the CLI, with the pty as its controlling terminal
        os.execve(sys.executable, [sys.executable, "-m", "workbench", *args], env)
    output = b""
    deadline = time.monotonic() + CLI_TIMEOUT
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no output before the deadline: {output!r}"
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            prompt = PROMPT.search(output)
            if prompt:
                key = next(k for k in answers if k in prompt.group(1))
                output = output.replace(prompt.group(0), b"<asked " + key + b">\n")
                os.write(fd, answers[key].encode() + b"\n")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", errors="replace")


def test_missing_secrets_and_passphrase_are_prompted_without_echo(tmp_path: Path) -> None:
    workspace = tmp_path / "ws.sqlite3"
    prepare_secrets_file(workspace)
    with Workspace.open(workspace) as opened:
        opened.create_project("QA")

    code, output = run_on_terminal(
        ["accounts", "add", "--user", "u1", "--app", "copper", "--workspace", str(workspace),
         "--secrets", "file", "--json"],
        {b"api_key": "sk_typed_secret_1", b"email": "me@example.com", b"Passphrase": PASSPHRASE},
    )  # fmt: skip

    assert code == 0, output
    assert output.count("<asked ") == 3, output
    assert "sk_typed_secret_1" not in output  # no echo
    assert PASSPHRASE not in output
    account_id = re.search(r'"id": "(apn_\w+)"', output)
    assert account_id is not None, output
    assert file_vault(workspace).credentials(account_id.group(1)) == {
        "api_key": "sk_typed_secret_1",
        "email": "me@example.com",
    }
