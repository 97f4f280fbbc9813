"""End to end: the embedded default (`make run`) under concurrent sign-ups and writes.

A real Daphne on a SQLite file runs the jobs in its own threads (no broker), with the delivery
sweeper writing its heartbeat several times a second. People sign up through the API and the
sign-up page and write transactions from several threads at once. Every request must be
answered as it would be alone (201, or the page's redirect) and every write must be in the
file afterwards: SQLite's "database is locked" must never reach anyone as a 503 or a 500.

The database is SQLite whatever DATABASE_URL the suite runs on: the embedded default is
what is under test.
"""

import http.cookiejar
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from budgetpay.testing.servers import DaphneServer, http_json, http_status, migrate, server_environment

pytestmark = pytest.mark.e2e

THREADS = 8
WRITES_PER_PERSON = 4
PASSWORD = "embedded-default-password-93"


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("embedded-sqlite")
    path = workdir / "embedded.sqlite3"
    env = {
        "JOBS_IN_PROCESS": "true",
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "CACHE_URL": "",
        # A sweep (and its heartbeat write) five times a second, so the job threads write
        # while the requests do.
        "DELIVERY_SWEEP_SECONDS": "0.2",
        # Many sign-ups from one address in a few seconds: the throttles are not under test.
        "THROTTLE_REGISTER": "1000/min",
    }
    migrate(f"sqlite:///{path}", server_environment(**env))
    server = DaphneServer(workdir, database_url=f"sqlite:///{path}", name="embedded", **env).start()
    try:
        yield server, path
    finally:
        server.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def page_sign_up(base_url: str, email: str) -> int:
    """Sign up on the page as a browser does (its CSRF cookie and field); the POST's status."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
    with opener.open(base_url + "/accounts/signup/", timeout=30) as response:
        page = response.read().decode()
    _, _, rest = page.partition('name="csrfmiddlewaretoken" value="')
    csrf_token = rest.partition('"')[0]
    form = {
        "csrfmiddlewaretoken": csrf_token,
        "email": email,
        "full_name": "Page Person",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "currency": "EUR",
        "timezone": "Europe/Berlin",
    }
    request = urllib.request.Request(
        base_url + "/accounts/signup/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": base_url + "/accounts/signup/"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def person_at_work(base_url: str, n: int, answers: list, lock: threading.Lock) -> None:
    """One API sign-up and its writes, one page sign-up; every answer recorded."""

    def record(what: str, status: int, body: object = None) -> None:
        with lock:
            answers.append((what, status, body))

    status, tokens = http_json(
        base_url, "POST", "/api/v1/auth/register", {"email": f"api-{n}@example.com", "password": PASSWORD}
    )
    record("api sign-up", status, tokens)
    if status == 201:
        status, accounts = http_json(base_url, "GET", "/api/v1/accounts", token=tokens["access"])
        record("accounts", status, accounts)
        account = accounts["results"][0]["id"] if status == 200 else None
        for k in range(WRITES_PER_PERSON if account else 0):
            status, body = http_json(
                base_url,
                "POST",
                "/api/v1/transactions",
                {"account": account, "kind": "expense", "amount": "3.50", "description": f"write {k}"},
                token=tokens["access"],
            )
            record("transaction", status, body)
    record("page sign-up", page_sign_up(base_url, f"page-{n}@example.com"))


def sweeper_running(base_url: str, within: float = 15.0) -> dict:
    """/health's answer once it reports a sweep (the schedule's first tick comes a second
    after the start), or its last answer after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        status, health = http_json(base_url, "GET", "/health")
        assert status == 200, health
        if health["jobs"]["sweeper"] == "ok" or time.monotonic() > deadline:
            return health
        time.sleep(0.2)


def test_concurrent_sign_ups_and_writes_beside_the_job_threads(embedded_server):
    server, path = embedded_server
    # The job threads run in this process and the sweeper has written its heartbeat.
    health = sweeper_running(server.url)
    assert health["jobs"]["engine"] == "thread", health
    assert health["jobs"]["sweeper"] == "ok", health

    answers: list[tuple[str, int, object]] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=person_at_work, args=(server.url, n, answers, lock)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    expected = {"api sign-up": 201, "accounts": 200, "transaction": 201, "page sign-up": 302}
    wrong = [answer for answer in answers if answer[1] != expected[answer[0]]]
    assert wrong == [], f"{len(wrong)} of {len(answers)} answers were wrong, e.g. {wrong[:3]}"
    assert [what for what, *_ in answers].count("transaction") == THREADS * WRITES_PER_PERSON

    # Every write is in the file (read beside the running server: WAL readers see commits).
    with closing(sqlite3.connect(Path(path))) as db:
        emails = {email for (email,) in db.execute("SELECT email FROM users_user")}
        written = db.execute(
            "SELECT COUNT(*) FROM transactions_transaction t JOIN users_user u ON u.id = t.user_id"
            " WHERE u.email LIKE 'api-%' AND t.description LIKE 'write %'"
        ).fetchone()[0]
    assert emails >= {f"api-{n}@example.com" for n in range(THREADS)} | {
        f"page-{n}@example.com" for n in range(THREADS)
    }
    assert written == THREADS * WRITES_PER_PERSON
    # And the server is still healthy.
    assert http_status(server.url + "/health") == 200
