"""Fixtures for the chatbot tests: a small ledger with known totals, and helpers to chat."""

from dataclasses import dataclass
from datetime import date

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from budgetpay.periods import Period, period_containing, previous_period, user_today
from transactions.models import Account, Category, Transaction
from transactions.tests.factories import make_category, make_transaction
from users.services import tokens_for_user

MESSAGES = "/api/v1/chatbot/messages"
CONVERSATIONS = "/api/v1/chatbot/conversations"
ACTIONS = "/api/v1/chatbot/actions"


@pytest.fixture(autouse=True)
def roomy_ai_rate(monkeypatch) -> None:
    """The tests chat more than the per-minute AI rate allows; test_chat_api checks the rate itself."""
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "1000/min")


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")
    return client


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


@dataclass
class Ledger:
    today: date
    last_month: Period
    account: Account
    groceries: Category
    food: Category
    big_shop: Transaction


@pytest.fixture
def ledger(user, other_user) -> Ledger:
    """Last month: groceries 40.00 + 12.50, food 30.00 (82.50 spent) and 2000.00 income;
    this month: groceries 99.00. Grace has 1000.00 of groceries last month, which Ada must never see."""
    today = user_today(user)
    last_month = previous_period("month", period_containing("month", today))
    account = Account.objects.get(user=user, name="Main account")
    groceries = make_category(user, name="Groceries")
    food = make_category(user, name="Food")
    salary = make_category(user, name="Salary", kind=Category.Kind.INCOME)
    make_transaction(account, amount="40.00", on=last_month.start, category=groceries, description="Supermarket")
    make_transaction(account, amount="12.50", on=last_month.end, category=groceries, description="Farmers market")
    make_transaction(account, amount="30.00", on=last_month.start, category=food, description="Pizza night")
    make_transaction(account, amount="2000.00", kind="income", on=last_month.start, category=salary)
    big_shop = make_transaction(account, amount="99.00", on=today, category=groceries, description="Big shop")
    other_account = Account.objects.get(user=other_user, name="Main account")
    make_transaction(
        other_account, amount="1000.00", on=last_month.start, category=make_category(other_user, name="Groceries"),
        description="Grace's secret shopping",
    )
    return Ledger(today, last_month, account, groceries, food, big_shop)


def send(client: APIClient, content: str, conversation: int | None = None):
    body = {"content": content} if conversation is None else {"content": content, "conversation": conversation}
    return client.post(MESSAGES, body, format="json")
