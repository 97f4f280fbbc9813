"""A large import's job reports its progress on the person's sockets (issue 16): after each
batch an `import.progress` frame, only on sockets opened with `?progress=1` (an opt-in kind,
like `unread_count`). Through the whole ASGI stack with channels' WebsocketCommunicator."""

import pytest
from asgiref.sync import sync_to_async

from budgetpay.testing.communicator import open_socket, receive
from budgetpay.testing.factories import main_account_of
from budgetpay.testing.people import client_for
from budgetpay.testing.statements import post_csv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WS = "/api/v1/notification/ws"
ROWS = 2500  # three batches of up to 1,000 (transactions.imports.IMPORT_BATCH_SIZE)


@sync_to_async
def import_a_large_statement(user) -> dict:
    content = "Date,Description,Amount\n" + "".join(f"2026-01-{i % 28 + 1:02d},Shop {i},-1.00\n" for i in range(ROWS))
    response = post_csv(client_for(user), main_account_of(user), content)
    assert response.status_code == 202, response.json()
    return response.json()


async def test_progress_frames_come_only_to_sockets_that_asked(user, settings):
    settings.JOBS_INLINE = True  # the job runs once the upload's transaction commits
    watching = await open_socket(user, "&progress=1")
    plain = await open_socket(user)
    for socket in (watching, plain):  # both are in the person's group before the import starts
        await socket.send_json_to({"type": "ping"})
        assert await receive(socket) == {"type": "pong"}

    job = await import_a_large_statement(user)

    frames = [await receive(watching) for _ in range(5)]
    assert frames == [
        {
            "type": "import.progress",
            "data": {"job_id": job["id"], "state": state, "processed": processed, "total": ROWS},
        }
        for state, processed in [
            ("running", 0),
            ("running", 1000),
            ("running", 2000),
            ("running", 2500),
            ("done", 2500),
        ]
    ]
    assert await watching.receive_nothing(timeout=0.5)
    assert await plain.receive_nothing(timeout=0.5)
    await watching.disconnect()
    await plain.disconnect()


async def test_a_progress_flag_that_is_neither_on_nor_off_is_an_error(user):
    socket = await open_socket(user, "&progress=maybe")
    reply = await receive(socket)
    assert reply["type"] == "error" and reply["error"] == "invalid_flag"
    assert "progress must be 1 or 0" in reply["message"]
    await socket.disconnect()
