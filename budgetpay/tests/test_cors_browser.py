"""Issue 13, item 6: a web front-end on its own origin uses the API and the socket from a
real browser. Chromium sends the preflight for a JSON POST with `Authorization` and
`Idempotency-Key` itself and refuses the call unless the API allows that origin and those
headers; it lets the page read `Retry-After`/`Content-Disposition` only when exposed; and
the socket accepts the origin because it authenticates with a token. A front-end on an
origin the API does not list gets nothing."""

import uuid
from collections.abc import Iterator

import pytest

from budgetpay.testing.servers import DaphneServer, FakeHTTPServer, site_server

pytestmark = pytest.mark.e2e

BLANK = b"<!doctype html><title>front-end</title>"

# Runs in the front-end's page: sign up, write with an Idempotency-Key (twice: the replay),
# read an exposed header, and receive the write's notification over the socket.
FRONT_END_SCRIPT = """
async ({api, ws, email}) => {
  const json = {"Content-Type": "application/json"};
  let response = await fetch(api + "/api/v1/auth/register", {
    method: "POST", headers: json, body: JSON.stringify({email, password: "front-end-password-93"}),
  });
  const tokens = await response.json();
  const auth = {...json, "Authorization": "Bearer " + tokens.access};
  const accounts = await (await fetch(api + "/api/v1/accounts", {headers: auth})).json();

  const socket = new WebSocket(ws + "/api/v1/notification/ws?token=" + tokens.access);
  const pushed = new Promise((resolve, reject) => {
    socket.onmessage = (event) => resolve(JSON.parse(event.data));
    socket.onclose = (event) => reject(new Error("socket closed " + event.code));
  });
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  await new Promise((resolve) => setTimeout(resolve, 300));  // the server joins the group after accepting

  const write = () => fetch(api + "/api/v1/transactions", {
    method: "POST",
    headers: {...auth, "Idempotency-Key": "front-end-write-1"},
    body: JSON.stringify({account: accounts.results[0].id, kind: "income", amount: "12.50", description: "Refund"}),
  });
  const first = await write();
  const again = await write();
  const frame = await pushed;
  socket.close();
  const exported = await fetch(api + "/api/v1/users/me/export?format=json", {headers: auth});
  return {
    registered: response.status,
    first: first.status,
    again: again.status,
    sameId: (await first.json()).id === (await again.json()).id,
    frame: frame.type,
    title: frame.data && frame.data.title,
    disposition: exported.headers.get("Content-Disposition"),
  };
}
"""


@pytest.fixture(scope="module")
def front_ends_and_api(
    tmp_path_factory, e2e_database_url
) -> Iterator[tuple[FakeHTTPServer, FakeHTTPServer, DaphneServer]]:
    with FakeHTTPServer() as listed, FakeHTTPServer() as unlisted:
        for server in (listed, unlisted):
            server.route("GET", "/", lambda request: (200, BLANK, "text/html; charset=utf-8"))
        with site_server(
            tmp_path_factory, "cors-browser", database_url=e2e_database_url, CORS_ALLOWED_ORIGINS=listed.url
        ) as api:
            yield listed, unlisted, api


def run_front_end(browser, origin: str, api: DaphneServer):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(origin + "/")
        return page.evaluate(
            FRONT_END_SCRIPT, {"api": api.url, "ws": api.ws_url, "email": f"fe-{uuid.uuid4().hex[:8]}@example.com"}
        )
    finally:
        context.close()


def test_a_listed_front_end_writes_with_an_idempotency_key_and_hears_the_socket(front_ends_and_api, browser):
    listed, _, api = front_ends_and_api
    result = run_front_end(browser, listed.url, api)
    assert result == {
        "registered": 201,
        "first": 201,
        "again": 201,  # the replay of the first answer, same transaction
        "sameId": True,
        "frame": "notification",
        "title": "Income received: $12.50",
        "disposition": result["disposition"],
    }
    assert result["disposition"].startswith('attachment; filename="budgetpay-data-')


def test_an_unlisted_front_end_gets_nothing(front_ends_and_api, browser):
    _, unlisted, api = front_ends_and_api
    with pytest.raises(Exception, match="Failed to fetch"):
        run_front_end(browser, unlisted.url, api)
