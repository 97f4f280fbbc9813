"""Issue 13, item 1: the seed's own JavaScript example, run verbatim in Chromium against a
real Daphne, never shows "undefined". Its `onmessage` treats every frame as a notification
(`showNotification(notification.data.title, notification.data.message)`), so the socket
must send a client that passes no flag and sends nothing only `notification` frames: not
the unread count on connect, after a notification, on a change from another device, or
after a replay.

The page (pages/seed_example.html) holds the example as the seed's README has it; a small
harness before it points the example's `wss://api.budgetpay.com` and placeholder token at
the server under test, and a script after it records what `showNotification` is called
with. As the seed's front-end would be, the page is served by a web server of its own (its
own origin) that the API lists in CORS_ALLOWED_ORIGINS: the socket accepts it because the
example authenticates with its token (item 6).
"""

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import pytest
from websockets.sync.client import connect

from budgetpay.testing.servers import DaphneServer, FakeHTTPServer, http_json, register, site_server

pytestmark = pytest.mark.e2e

PAGE = Path(__file__).parent / "pages" / "seed_example.html"
TIMEOUT_S = 15


@pytest.fixture(scope="module")
def front_end_and_api(tmp_path_factory, e2e_database_url) -> Iterator[tuple[FakeHTTPServer, DaphneServer]]:
    """The example's page on a front-end server of its own, and the API that lists it as a CORS origin."""
    page = PAGE.read_bytes()
    with FakeHTTPServer() as front_end:
        front_end.route("GET", "/seed-example.html", lambda request: (200, page, "text/html; charset=utf-8"))
        with site_server(
            tmp_path_factory, "seed-example", database_url=e2e_database_url, CORS_ALLOWED_ORIGINS=front_end.url
        ) as api:
            yield front_end, api


class SeedPage:
    """What the page reports: sockets opened, raw frames, showNotification's arguments."""

    def __init__(self, page, front_end: FakeHTTPServer, api: DaphneServer) -> None:
        self.page = page
        self.front_end = front_end
        self.api = api
        self.opened: list[str] = []
        self.frames: list[dict] = []
        self.shown: list[list[str]] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.expose_function("socketOpened", lambda url: self.opened.append(url))
        page.expose_function("frameReceived", lambda data: self.frames.append(json.loads(data)))
        page.expose_function("notificationShown", lambda arguments: self.shown.append(arguments))

    def open(self, token: str, since: int | None = None) -> None:
        query = urlencode(
            {"server": self.api.ws_url, "token": token, **({"since": since} if since is not None else {})}
        )
        self.page.goto(f"{self.front_end.url}/seed-example.html?{query}")

    def wait_until(self, condition, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not condition():
            assert time.monotonic() < deadline, (
                f"timed out waiting for {what}: frames {self.frames}, errors {self.errors}"
            )
            self.page.wait_for_timeout(50)  # lets Playwright deliver the page's calls


def post_income(base: str, token: str, account: int, amount: str, description: str) -> None:
    status, body = http_json(
        base,
        "POST",
        "/api/v1/transactions",
        {"account": account, "kind": "income", "amount": amount, "description": description},
        token,
    )
    assert status == 201, body


def inbox(base: str, token: str) -> dict[int, tuple[str, str]]:
    status, body = http_json(base, "GET", "/api/v1/notification?page_size=100", token=token)
    assert status == 200, body
    return {item["id"]: (item["title"], item["message"]) for item in body["results"]}


def frames_until(socket, predicate) -> dict:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        frame = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        if predicate(frame):
            return frame


def test_the_seeds_example_run_verbatim_shows_only_real_notifications(front_end_and_api, browser):
    with ExitStack() as stack:
        check_the_seeds_example(*front_end_and_api, browser, stack)


def check_the_seeds_example(front_end: FakeHTTPServer, api: DaphneServer, browser, stack: ExitStack) -> None:
    base = api.url
    token = register(base, f"seed-{uuid.uuid4().hex[:8]}@example.com", "seed-example-password-57")["access"]
    status, accounts = http_json(base, "GET", "/api/v1/accounts", token=token)
    account = accounts["results"][0]["id"]
    before = max(inbox(base, token), default=0)

    # "Another device": the person's phone, which asks for the counts.
    phone = stack.enter_context(
        connect(f"{api.ws_url}/api/v1/notification/ws?token={token}&unread_count=1", open_timeout=10)
    )
    first_count = json.loads(phone.recv(timeout=10))
    assert first_count["type"] == "unread_count"

    context = browser.new_context()
    stack.callback(context.close)
    seed = SeedPage(context.new_page(), front_end, api)
    seed.open(token)
    seed.wait_until(lambda: seed.opened, "the example's socket to open")
    assert seed.opened == [f"{api.ws_url}/api/v1/notification/ws?token={token}"]  # no flag, as the seed wrote it
    # The server joins the socket to the person's group just after accepting it, and the
    # example sends nothing that could tell us when: a moment's grace before the first push.
    seed.page.wait_for_timeout(300)

    post_income(base, token, account, "1200.00", "Salary")
    seed.wait_until(lambda: len(seed.shown) >= 1, "the first notification")
    salary = frames_until(phone, lambda f: f["type"] == "notification")["data"]["id"]

    # A count change from another device: the phone marks it read through the REST API.
    status, _ = http_json(base, "POST", f"/api/v1/notification/{salary}/read", token=token)
    assert status == 200
    # The count goes back to where it was: the change went out...
    frames_until(phone, lambda f: f == first_count)
    post_income(base, token, account, "45.50", "Refund")
    seed.wait_until(lambda: len(seed.shown) >= 2, "the second notification")
    # ...but not to the example: frames to one socket keep their order, so a count sent
    # to it would have arrived before this notification.
    assert [frame["type"] for frame in seed.frames] == ["notification", "notification"]

    # Reconnect with a replay of everything after `before`, then one live notification.
    seed.open(token, since=before)
    seed.wait_until(lambda: len(seed.shown) >= 4, "the replay")
    post_income(base, token, account, "10.00", "Cashback")
    seed.wait_until(lambda: len(seed.shown) >= 5, "the notification after the replay")
    assert [frame["type"] for frame in seed.frames] == ["notification"] * 5
    assert [frame.get("replay", False) for frame in seed.frames] == [False, False, True, True, False]

    titles = inbox(base, token)
    expected = [titles[frame["data"]["id"]] for frame in seed.frames]
    assert [(title, message) for _, title, _, message in seed.shown] == expected
    assert all(kinds == ["string", "string"] for kinds in ([s[0], s[2]] for s in seed.shown)), seed.shown
    assert not any("undefined" in (title + message) for _, title, _, message in seed.shown), seed.shown
    assert [title for title, _ in expected[:2]] == [title for title, _ in expected[2:4]]  # the replay is the two seen
    assert seed.errors == []
