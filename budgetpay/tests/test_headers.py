"""Security headers over HTTP: the Content-Security-Policy every page carries and satisfies
(no inline script, no inline style, no `style=` attribute, nothing from another host), and
`Cache-Control: no-store` on everything that carries a person's data or credentials.

The browser proves the pages raise no CSP violation (users/tests/test_browser.py); these tests
pin the header and the markup rules that make that true, for every page, with data on it.
"""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from budgetpay.periods import user_today
from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgetpay.testing.pages import SIGNED_IN_PAGES, SIGNED_OUT_PAGES, row_pages
from budgetpay.testing.people import TEST_PASSWORD, access_token_for, make_user, page_client_for
from budgets.models import Budget
from chatbot.models import Conversation
from goals.models import Goal, GoalEntry
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "xlink:href"}


class InlineCodeFinder(HTMLParser):
    """What a strict policy (script-src/style-src 'self') refuses, and anything from another host."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # A JSON data block (allauth's email page has one) is never executed, so no policy covers it.
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        for name, value in attrs:
            value = (value or "").strip()
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            elif name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> handler")
            elif name in URL_ATTRIBUTES and re.match(r"(?i)(javascript:|[a-z][a-z0-9+.-]*://|//)", value):
                self.problems.append(f'<{tag} {name}="{value}"> leaves this server')

    handle_startendtag = handle_starttag


def inline_code(html: bytes) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html.decode())
    finder.close()
    return finder.problems


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def person():
    """A signed-up person with something on every page: coloured categories, spending past a
    budget, a goal with money in it, notifications, a conversation."""
    user = make_user(is_staff=True, is_superuser=True)
    today = user_today(user)
    account = make_account(user, name="Everyday")
    food = make_category(user, name="Food", color="#d93a2f")
    travel = make_category(user, name="Travel", color="#1f883d")
    for amount, category in (("85.00", food), ("40.00", travel), ("12.00", None)):
        make_transaction(account, amount=amount, category=category, on=today, description="Groceries")
    Budget.objects.create(user=user, category=food, amount=Decimal("80.00"), start_date=today.replace(day=1))
    Budget.objects.create(user=user, category=travel, amount=Decimal("100.00"), start_date=today.replace(day=1))
    goal = Goal.objects.create(user=user, name="Bike", target_amount=Decimal("500"))
    GoalEntry.objects.create(goal=goal, amount=Decimal("120.00"), date=today)
    notify(user=user, type=Notification.Type.BUDGET_THRESHOLD, title="Food budget exceeded", message="85 of 80.")
    conversation = Conversation.objects.create(user=user, title="Spending")
    return {"user": user, "account": account, "category": food, "goal": goal, "conversation": conversation}


@pytest.fixture
def signed_in(person) -> Client:
    return page_client_for(person["user"])


def signed_in_pages(person) -> list[str]:
    transaction = person["account"].transactions.first()
    budget = Budget.objects.filter(user=person["user"]).first()
    return [
        *SIGNED_IN_PAGES,
        *row_pages(
            transaction=transaction.pk,
            account=person["account"].pk,
            category=person["category"].pk,
            budget=budget.pk,
            goal=person["goal"].pk,
        ),
        "/transactions/?q=groceries",
        "/notifications/panel/",
        f"/chat/{person['conversation'].pk}/",
        "/admin/",
        "/admin/transactions/transaction/",
        f"/admin/transactions/transaction/{transaction.pk}/change/",
        "/admin/notifications/notification/broadcast/",
        "/api/docs/",
        "/no-such-page/",
    ]


ANONYMOUS_PAGES = ["/", *SIGNED_OUT_PAGES, "/no-such-page/"]


# --- Content-Security-Policy ------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(signed_in):
    response = signed_in.get("/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # The live bell's socket on this host, also for browsers where 'self' does not cover ws(s):.
    assert directives["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    # allauth's provider sign-in POSTs to us and is redirected to the provider: form-action covers it.
    assert directives["form-action"] == ["'self'", "https://accounts.google.com", "https://github.com"]
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_pages_for_visitors_carry_the_policy_and_satisfy_it(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert policy(response)["script-src"] == ["'self'"]
    assert inline_code(response.content) == []


def test_every_signed_in_page_satisfies_the_policy(signed_in, person):
    """No inline script or style, no style= attribute, no handler, nothing fetched from elsewhere:
    with data on the page (category colours, bars, charts), which is where inline styles were."""
    checked = 0
    for path in signed_in_pages(person):
        response = signed_in.get(path)
        assert response.status_code == (404 if path == "/no-such-page/" else 200), path
        assert policy(response)["style-src"] == ["'self'"], path
        assert inline_code(response.content) == [], path
        checked += 1
    dashboard = signed_in.get("/").content.decode()
    # The colours and widths the inline styles carried are still drawn, as SVG attributes.
    assert 'fill="#d93a2f"' in dashboard
    assert re.search(r'<rect width="100\.0%" height="100%"', dashboard), "the over-budget bar is full"
    assert '<text class="x-label"' in dashboard
    assert checked == len(signed_in_pages(person))


def test_the_error_page_satisfies_the_policy():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert inline_code(response.content) == []
    assert b"/static/budgetpay/error.css" in response.content


# --- API docs ------------------------------------------------------------------------------------


def test_the_api_docs_load_nothing_inline_and_nothing_from_another_host(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content
    assert inline_code(html) == []
    sources = re.findall(rb'(?:src|href)="([^"]+)"', html)
    assert sources, "the docs page references its scripts and styles"
    assert all(source.startswith(b"/") and not source.startswith(b"//") for source in sources), sources
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html

    # Its start-up script is a separate response, from this server, that loads the schema from here.
    script = re.search(rb'<script src="(/api/docs/\?[^"]*script=[^"]*)"', html).group(1).decode().replace("&amp;", "&")
    startup = client.get(script)
    assert startup.status_code == 200
    assert startup["Content-Type"].startswith("application/javascript")
    assert b'url: "/api/schema",' in startup.content
    assert b"https://" not in startup.content

    for source in sources:
        path = source.decode().replace("&amp;", "&")
        if path.startswith("/static/"):
            assert client.get(path).status_code == 200, path


# --- Cache-Control ---------------------------------------------------------------------------------


def test_signed_in_pages_are_never_stored(signed_in, person):
    for path in signed_in_pages(person):
        response = signed_in.get(path)
        assert "no-store" in response["Cache-Control"], path


def test_the_sign_in_answer_is_not_stored():
    user = make_user()
    response = Client().post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert "sessionid" in response.cookies
    assert "no-store" in response["Cache-Control"]


def test_the_api_never_lets_personal_data_or_tokens_be_stored(client, person):
    access = access_token_for(person["user"])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    for path in ("/api/v1/users/me", "/api/v1/transactions", "/api/v1/notification"):
        response = client.get(path, **bearer)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "no-store", path

    export = client.get("/api/v1/users/me/export", {"format": "csv"}, **bearer)
    assert export.status_code == 200
    assert export["Cache-Control"] == "no-store"
    ledger = client.get("/api/v1/transactions/export", **bearer)
    assert ledger.status_code == 200
    assert ledger["Cache-Control"] == "no-store"

    # Token answers (RFC 6749 §5.1: MUST be no-store) and refusals alike.
    token = client.post(
        "/api/v1/auth/token",
        {"email": person["user"].email, "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 200
    assert token["Cache-Control"] == "no-store"
    assert client.get("/api/v1/users/me")["Cache-Control"] == "no-store"


def test_static_files_keep_their_caching(signed_in):
    response = signed_in.get("/static/budgetpay/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Content-Security-Policy" not in response


def test_a_view_that_chose_its_own_cache_control_keeps_it(signed_in):
    # The admin marks its views never_cache, which already forbids storing: left as it is.
    response = signed_in.get("/admin/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
