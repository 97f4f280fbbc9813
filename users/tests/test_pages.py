"""The account pages with Django's test client (profile, API access), and walks over every
app's pages for what the page kit gives them all: sign-in and back, another person's object
answering 404 in the shared layout, an empty submitted form showing what is missing.
Each app's own page tests are in <app>/tests/test_pages.py."""

from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from budgetpay.testing.factories import (
    main_account_of,
    make_budget_this_month,
    make_category,
    make_notification,
    make_transaction,
)
from budgetpay.testing.pages import SIGNED_IN_PAGES
from budgetpay.testing.people import TEST_PASSWORD, make_user
from budgets.models import Budget
from chatbot import services as chat_services
from chatbot.models import ProposedAction
from goals.models import Goal
from notifications.models import Notification
from transactions.models import Account, Category, Transaction
from users.services import tokens_for_user

pytestmark = pytest.mark.django_db


# "/" is left out: it greets a visitor instead of sending them to sign in.
NEEDS_SIGN_IN = [path for path in SIGNED_IN_PAGES if path != "/"] + ["/notifications/panel/"]


# --- Every app's pages: sign-in ------------------------------------------------------------


@pytest.mark.parametrize("path", NEEDS_SIGN_IN)
def test_every_page_needs_sign_in_and_returns_after_it(user, path):
    client = Client()
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"

    signed_in = client.post(response["Location"], {"login": user.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == path
    assert client.get(path).status_code == 200


def test_an_expired_session_leads_to_sign_in_and_back(page_client, user):
    assert page_client.get("/budgets/").status_code == 200
    Session.objects.all().delete()  # what expiry does: the session row is gone

    response = page_client.get("/budgets/?x=1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/budgets/%3Fx%3D1"
    back = page_client.post(response["Location"], {"login": user.email, "password": TEST_PASSWORD})
    assert back["Location"] == "/budgets/?x=1"


# --- Every app's pages: ownership ----------------------------------------------------------


@pytest.fixture
def others_objects(other_user) -> dict[str, int]:
    food = make_category(other_user, name="Food")
    tx = make_transaction(main_account_of(other_user), amount="12.00", category=food)
    budget = make_budget_this_month(other_user, category=food)
    goal = Goal.objects.create(user=other_user, name="Bike", target_amount=Decimal("500"))
    notification = make_notification(other_user)
    conversation = chat_services.conversation_create(user=other_user, title="Hers")
    action = ProposedAction.objects.create(
        user=other_user, conversation=conversation, operation="delete", summary="Delete it", transaction=tx
    )
    return {
        "tx": tx.pk,
        "budget": budget.pk,
        "goal": goal.pk,
        "notification": notification.pk,
        "conversation": conversation.pk,
        "action": action.pk,
        "account": tx.account_id,
        "category": food.pk,
    }


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/transactions/{tx}/edit/"),
        ("post", "/transactions/{tx}/edit/"),
        ("get", "/transactions/{tx}/delete/"),
        ("post", "/transactions/{tx}/delete/"),
        ("get", "/ledger/accounts/{account}/edit/"),
        ("post", "/ledger/accounts/{account}/edit/"),
        ("post", "/ledger/accounts/{account}/delete/"),
        ("get", "/ledger/categories/{category}/edit/"),
        ("post", "/ledger/categories/{category}/edit/"),
        ("post", "/ledger/categories/{category}/delete/"),
        ("get", "/budgets/{budget}/edit/"),
        ("post", "/budgets/{budget}/delete/"),
        ("get", "/goals/{goal}/edit/"),
        ("get", "/goals/{goal}/money/"),
        ("post", "/goals/{goal}/delete/"),
        ("post", "/notifications/{notification}/read/"),
        ("get", "/chat/{conversation}/"),
        ("post", "/chat/actions/{action}/confirm/"),
        ("post", "/chat/actions/{action}/cancel/"),
    ],
)
def test_another_persons_object_is_not_found(page_client, others_objects, method, path):
    response = getattr(page_client, method)(path.format(**others_objects))
    assert response.status_code == 404
    assert b"couldn" in response.content  # the friendly page in the shared layout
    assert Transaction.objects.filter(pk=others_objects["tx"]).exists()
    assert Budget.objects.filter(pk=others_objects["budget"]).exists()
    assert Goal.objects.filter(pk=others_objects["goal"]).exists()
    assert not Notification.objects.get(pk=others_objects["notification"]).is_read
    assert ProposedAction.objects.get(pk=others_objects["action"]).status == "pending"
    assert Category.objects.get(pk=others_objects["category"]).name == "Food"
    assert Account.objects.get(pk=others_objects["account"]).name == "Main account"


@pytest.mark.parametrize("path", ["/ledger/accounts/new/", "/ledger/categories/new/", "/budgets/new/", "/goals/new/"])
def test_an_empty_submitted_form_shows_what_is_missing(page_client, user, path):
    response = page_client.post(path, {})
    assert response.status_code == 200
    assert response.context["form"].errors and "Please check the fields marked below." in response.content.decode()


# --- Account pages ---------------------------------------------------------------------------


def test_profile_offers_currencies_and_time_zones(page_client, user):
    page = page_client.get("/account/profile/").content.decode()
    assert '<option value="EUR">EUR — Euro</option>' in page
    assert '<option value="Europe/Berlin">' in page
    saved = page_client.post(
        "/account/profile/", {"full_name": "Ada", "currency": "EUR", "timezone": "Asia/Tokyo", "monthly_income": "10"}
    )
    assert saved.status_code == 302
    user.refresh_from_db()
    assert (user.currency, user.timezone) == ("EUR", "Asia/Tokyo")
    assert "€0.00" in page_client.get("/").content.decode()


def test_api_access_creates_a_token_pair_once_and_revokes_them_all(page_client, user):
    tokens_for_user(user=user)  # a script that already has one
    created = page_client.post("/account/api/", {"action": "create"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    tokens = created.context["tokens"]
    assert tokens["access"] in created.content.decode()
    assert len(created.context["active"]) == 2

    revoked = page_client.post("/account/api/", {"action": "revoke"})
    assert revoked.status_code == 302
    assert BlacklistedToken.objects.count() == OutstandingToken.objects.filter(user=user).count() == 2
    assert "Revoked 2 refresh tokens" in page_client.get("/account/api/").content.decode()
    refresh = Client().post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, content_type="application/json"
    )
    assert refresh.status_code == 401


def test_make_user_has_a_default_account_for_the_forms(db):
    person = make_user("new@example.com")
    assert main_account_of(person).currency == "USD"
