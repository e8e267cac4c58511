"""The worker thread and the session on it (no Qt): submit, cancel, open, send, verify."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.core.errors import RuleError
from workbench.core.exchange import ProxyRequest
from workbench.sandbox.demo import ALICE
from workbench.ui.backend import SecretsChoiceNeeded, Session, SessionTarget, Worker


@pytest.fixture
def worker() -> Iterator[Worker]:
    running = Worker()
    running.start()
    yield running
    running.stop()


def test_work_runs_in_the_worker_thread_and_cancels(worker: Worker) -> None:
    assert worker.call(lambda: threading.current_thread().name).result(5) == "workbench-engine"
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    future = worker.submit(forever())
    assert started.wait(5)
    future.cancel()
    with pytest.raises(concurrent.futures.CancelledError):
        future.result(5)


def test_a_demo_session_sends_and_verifies_off_the_caller_thread(worker: Worker) -> None:
    session = worker.submit(Session.open(SessionTarget(demo=True))).result(30)
    try:
        assert session.is_demo
        assert [p.id for p in worker.call(session.projects).result(5)] == ["proj_demo"]
        request = ProxyRequest(
            "proj_demo", ALICE, "apn_demoAliceCrm", "GET", "/echo/x", origin="gui"
        )
        received: list[tuple[int, int | None]] = []
        result = worker.submit(
            session.send(request, lambda got, total: received.append((got, total)))
        ).result(30)
        assert result.status == 200
        assert received[-1][0] == len(result.body)
        assert worker.call(session.budget, "proj_demo").result(5).remaining == 999
        verified = worker.submit(
            session.verify_unsaved(
                "proj_demo",
                ALICE,
                "sandbox_bearer",
                custom_fields={},
                secrets={"api_token": "sk_test_typed_not_saved_1"},
                environment="development",
                allow_private_network=True,
            )
        ).result(30)
        assert verified.healthy, verified.detail
        assert "sk_test_typed_not_saved_1" not in verified.detail
        # nothing was stored, and the verification counted against the budget
        assert len(worker.call(session.accounts, "proj_demo", "development").result(5)) == 4
        assert worker.call(session.budget, "proj_demo").result(5).remaining == 998
        with pytest.raises(RuleError, match="api_token"):
            worker.submit(
                session.verify_unsaved(
                    "proj_demo",
                    ALICE,
                    "sandbox_bearer",
                    custom_fields={},
                    secrets={},
                    environment="development",
                    allow_private_network=True,
                )
            ).result(30)
    finally:
        worker.submit(session.aclose()).result(30)


def test_a_workspace_session_with_secrets_in_memory(worker: Worker, tmp_path: Path) -> None:
    target = SessionTarget(workspace=tmp_path / "w.sqlite3", secrets="memory")
    session = worker.submit(Session.open(target)).result(30)
    try:
        assert not session.is_demo
        assert session.where == str(tmp_path / "w.sqlite3")
        assert any("memory" in warning for warning in session.warnings)
        project = worker.call(session.create_project, "QA").result(5)
        user = worker.call(session.add_user, project.id, "customer-42").result(5)
        assert [u.external_id for u in worker.call(session.users, project.id).result(5)] == [
            user.external_id
        ]
    finally:
        worker.submit(session.aclose()).result(30)


def test_without_a_keychain_the_person_is_asked_where_secrets_go(
    worker: Worker, tmp_path: Path
) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # a headless machine: no keychain at all
    target = SessionTarget(workspace=tmp_path / "w.sqlite3")
    with pytest.raises(SecretsChoiceNeeded) as caught:
        worker.submit(Session.open(target)).result(30)
    assert "keychain" in caught.value.reason
    assert caught.value.secrets_file.parent == tmp_path
    # the person chose memory: the same workspace opens
    chosen = SessionTarget(workspace=tmp_path / "w.sqlite3", secrets="memory")
    session = worker.submit(Session.open(chosen)).result(30)
    worker.submit(session.aclose()).result(30)


def test_closing_a_session_ends_the_sign_ins_still_waiting(worker: Worker, tmp_path: Path) -> None:
    import socket

    from tests.helpers.oauthserver import CLIENT_ID, oauth_server
    from workbench.core.store.workspace import Workspace

    with oauth_server() as server:
        path = tmp_path / "ws.sqlite3"
        with Workspace.open(path) as workspace:
            workspace.save_app(server.app_dict())
        session = worker.submit(Session.open(SessionTarget(workspace=path))).result(10)
        info = worker.call(session.oauth_client_info, "local_oauth").result(10)
        assert info.client_id == ""
        pending = worker.submit(
            session.oauth_start(
                "local_oauth",
                client_id=CLIENT_ID,
                client_secret="",
                scopes=["api"],
                custom_fields={},
                allow_private_network=True,
            )
        ).result(10)
        assert pending.redirect_uri == info.redirect_uri  # the port shown is the port used
        port = int(pending.redirect_uri.split(":")[2].split("/")[0])
        worker.submit(session.aclose()).result(10)
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
