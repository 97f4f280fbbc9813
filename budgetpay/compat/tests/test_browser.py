"""Issue 15: the original web client's calls, from a real browser on another origin, against a
real Daphne with the compatibility API on. original_client.html is that client's request code
and calls (mayank-9031/Budget-pay-UI, lib/api.ts) and walks its screens in order; Chromium
sends the CORS preflights itself. Nothing is built or fetched from the internet."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from budgetpay.testing.servers import DaphneServer, FakeHTTPServer, site_server

pytestmark = pytest.mark.e2e

PAGE = (Path(__file__).parent / "original_client.html").read_bytes()


@pytest.fixture(scope="module")
def client_origin() -> Iterator[FakeHTTPServer]:
    """The client's own origin, serving the page (as Next.js would serve the app)."""
    with FakeHTTPServer() as origin:
        origin.route("GET", "/", lambda request: (200, PAGE, "text/html; charset=utf-8"))
        yield origin


@pytest.fixture(scope="module")
def compat_site(tmp_path_factory, client_origin) -> Iterator[DaphneServer]:
    with site_server(
        tmp_path_factory,
        "compat-browser",
        COMPAT_ORIGINAL_API="true",
        CORS_ALLOWED_ORIGINS=client_origin.url,
        OPENROUTER_API_KEY="",  # the assistant answers from its rules
    ) as server:
        yield server


def run_original_client(browser, origin: str, api: str) -> dict:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(origin + "/")
        email = f"original-{uuid.uuid4().hex[:8]}@example.com"
        return page.evaluate("([api, email]) => runOriginalClient(api, email)", [api, email])
    finally:
        context.close()


def test_the_original_client_signs_in_uses_every_screen_and_signs_out(browser, client_origin, compat_site):
    seen = run_original_client(browser, client_origin.url, f"{compat_site.url}/compat/v0")

    assert seen["registered"] == {"status": 201, "email": seen["registered"]["email"], "is_verified": False}
    assert seen["badLogin"] == {"error": "LOGIN_BAD_CREDENTIALS", "status": 400}
    assert seen["login"] == {"status": 200, "token_type": "bearer", "hasToken": True}
    assert seen["me"] == {"status": 200, "full_name": "Mayank", "monthly_income": 0}

    assert seen["lists"] == {
        "transactions": [],
        "categoryNames": ["Food", "Travel", "Shopping", "Misc", "Housing"],
    }
    assert seen["created"] == {
        "status": 201,
        "amount": 12.3,
        "category_id": seen["created"]["category_id"],
        "sameCategory": True,
        "idType": "string",
    }
    assert seen["afterAdd"] == {"count": 1, "total": 12.3, "day": True}
    assert seen["edited"] == {"status": 200, "description": "Groceries (market)", "amount": 15.75, "category_id": None}
    assert (seen["deleted"], seen["afterDelete"]) == (204, 0)
    assert seen["missing"] == {"error": "Transaction not found", "status": 404}

    assert seen["shareBefore"] == 70
    assert seen["addedCategory"] == {"status": 201, "name": "Books", "share": 12.5, "idType": "string"}
    assert seen["tooMuch"] == {"status": 400, "hasMessage": True}
    assert seen["renamedCategory"] == {"status": 200, "name": "Books & comics", "share": 10}
    assert seen["shareAfterEdit"] == 80
    assert seen["deletedCategory"] == 204
    assert seen["invalid"]["status"] == 422 and "100" in seen["invalid"]["error"]

    assert seen["settings"] == {
        "status": 200,
        "full_name": "Mayank K",
        "monthly_income": 52000.5,
        "savings_goal_amount": 8000,
    }
    assert seen["settingsReread"] == {"monthly_income": 52000.5, "savings_goal_amount": 8000}
    assert seen["chatbot"] == {"status": 200, "isText": True}

    assert seen["logout"] == {"data": {"detail": "Successfully logged out"}, "status": 200}
    assert seen["afterLogout"] == {"status": 401, "detail": "This token was signed out; sign in again."}
    assert seen["signedOut"] == {"error": "Not authenticated", "status": 401}
