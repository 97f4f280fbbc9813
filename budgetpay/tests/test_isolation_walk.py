"""OWASP API1 (broken object level authorisation): walk every API route that takes
an object id, with user A's ids, as user B. Every method answers 404 (nothing
learnt, not even existence), A's data is unchanged, and B's lists and reports
never show anything of A's. The WebSocket side is in
notifications/tests/test_consumer.py (mark_read and since with another user's ids)."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLResolver, get_resolver

from budgetpay.personal_data import export_json
from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgetpay.testing.people import client_for
from budgets.models import Budget
from chatbot.models import Conversation, Message, ProposedAction
from goals.models import Goal, GoalEntry
from notifications.models import Notification, Webhook
from notifications.services import notify
from transactions.models import Account, Category, ImportJob, Transaction

pytestmark = pytest.mark.django_db

MARKER = "a-private-marker-7f3c"

# URL name → the model whose id fills each URL parameter.
ROUTE_OBJECTS = {
    "account-detail": {"pk": Account},
    "category-detail": {"pk": Category},
    "transaction-detail": {"pk": Transaction},
    "budget-detail": {"pk": Budget},
    "budget-status": {"pk": Budget},
    "goal-detail": {"pk": Goal},
    "goal-entry-list": {"goal_pk": Goal},
    "goal-entry-detail": {"goal_pk": Goal, "pk": GoalEntry},
    "notification-detail": {"pk": Notification},
    "notification-read": {"pk": Notification},
    "notification-deliveries": {"pk": Notification},
    "webhook-detail": {"pk": Webhook},
    "webhook-rotate-secret": {"pk": Webhook},
    "webhook-send-test": {"pk": Webhook},
    "webhook-delivery-list": {"webhook_pk": Webhook},
    "transaction-import-job": {"job_id": ImportJob},
    "chat-conversation-detail": {"pk": Conversation},
    "chat-conversation-messages": {"pk": Conversation},
    "chat-action-detail": {"pk": ProposedAction},
    "chat-action-cancel": {"pk": ProposedAction},
    "chat-action-confirm": {"pk": ProposedAction},
}


def api_routes():
    """url name → (parameter names, HTTP methods, path template) for every /api/v1/ route."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern

    routes = {}
    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "(?P<format>" in route or not pattern.name:
            continue
        params = tuple(sorted(pattern.pattern.regex.groupindex))
        methods = set(getattr(pattern.callback, "actions", {}) or {}) or {"get", "post", "put", "patch", "delete"}
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is not None:  # what the view answers at all (a 405 otherwise, before any lookup)
            methods &= set(view_class.http_method_names)
        template = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route).replace("^", "").replace("/?$", "")
        routes[pattern.name] = (params, methods - {"options", "head"}, template)
    return routes


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def victim_ledger(user):
    account = make_account(user, name=f"{MARKER} account")
    category = make_category(user, name=f"{MARKER} category")
    transaction = make_transaction(account, amount="42.42", category=category, on=date(2026, 11, 3), description=MARKER)
    budget = Budget.objects.create(
        user=user, name=MARKER, category=category, amount=Decimal("50.00"), start_date=date(2026, 11, 1)
    )
    goal = Goal.objects.create(user=user, name=MARKER, target_amount=Decimal("100.00"))
    entry = GoalEntry.objects.create(goal=goal, amount=Decimal("10.00"), date=date(2026, 11, 3), note=MARKER)
    notification = notify(user=user, type="announcement", title=MARKER, message=MARKER)
    conversation = Conversation.objects.create(user=user, title=MARKER)
    webhook = Webhook.objects.create(
        user=user, url="https://hooks.example.net/in", secret="whsec_eA==", description=MARKER
    )
    job = ImportJob.objects.create(user=user, account=account, file_name=MARKER, content=b"")
    message = Message.objects.create(conversation=conversation, role="user", content=MARKER)
    action = ProposedAction.objects.create(
        user=user,
        conversation=conversation,
        message=message,
        operation="delete",
        summary=MARKER,
        transaction=transaction,
    )
    return {
        Account: account,
        Category: category,
        Transaction: transaction,
        Budget: budget,
        Goal: goal,
        GoalEntry: entry,
        Notification: notification,
        Conversation: conversation,
        ProposedAction: action,
        Webhook: webhook,
        ImportJob: job,
    }


def snapshot(person) -> dict:
    data = json.loads(export_json(user=person))
    data["profile"][0].pop("last_login", None)
    return data


def test_every_route_with_an_id_answers_404_to_another_user(user, other_user, victim_ledger):
    routes = api_routes()
    with_ids = {name: spec for name, spec in routes.items() if spec[0]}
    unmapped = set(with_ids) - set(ROUTE_OBJECTS)
    assert not unmapped, f"map these routes to their models in ROUTE_OBJECTS: {sorted(unmapped)}"

    before = snapshot(user)
    intruder = client_for(other_user)
    tried = 0
    for name, (params, methods, template) in sorted(with_ids.items()):
        path = template.format(**{param: victim_ledger[ROUTE_OBJECTS[name][param]].pk for param in params})
        for method in sorted(methods):
            body = {"is_read": True, "amount": "1.00", "name": "stolen", "content": "hi"} if method != "get" else None
            response = getattr(intruder, method)(path, body, format="json") if body else intruder.get(path)
            assert response.status_code == 404, (method.upper(), path, response.status_code, response.content[:200])
            assert MARKER.encode() not in response.content
            tried += 1
    assert tried >= 30
    assert snapshot(user) == before


def test_lists_and_reports_of_another_user_show_nothing_of_mine(user, other_user, victim_ledger):
    intruder = client_for(other_user)
    for name, (params, methods, template) in api_routes().items():
        if params or "get" not in methods:
            continue
        response = intruder.get(template)
        assert response.status_code in (200, 400, 405), (name, response.status_code)
        assert MARKER.encode() not in body_of(response), name
        assert b"42.42" not in body_of(response), name


def test_another_users_ids_in_input_are_refused_with_400(user, other_user, victim_ledger):
    intruder = client_for(other_user)
    theirs = Account.objects.get(user=other_user, name="Main account")
    cases = [
        ("/api/v1/transactions", {"account": victim_ledger[Account].pk, "amount": "1.00"}, "account"),
        (
            "/api/v1/transactions",
            {"account": theirs.pk, "amount": "1.00", "category": victim_ledger[Category].pk},
            "category",
        ),
        (
            "/api/v1/transactions",
            {"account": theirs.pk, "amount": "1.00", "kind": "transfer", "transfer_account": victim_ledger[Account].pk},
            "transfer_account",
        ),
        ("/api/v1/budgets", {"amount": "10.00", "category": victim_ledger[Category].pk}, "category"),
        ("/api/v1/goals", {"name": "x", "target_amount": "10.00", "account": victim_ledger[Account].pk}, "account"),
    ]
    for path, body, field in cases:
        response = intruder.post(path, body, format="json")
        assert response.status_code == 400, (path, response.content)
        assert field in response.json()["errors"], (path, response.json())
    assert not Transaction.objects.filter(user=other_user).exists()
