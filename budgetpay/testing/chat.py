"""The assistant in tests: its endpoints, one chat message sent, its socket (opened through
the whole ASGI stack, a turn sent and its frames read), and a small ledger with known totals
(and another person's row it must never see)."""

import json
from dataclasses import dataclass
from datetime import date

from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.asgi import application
from budgetpay.periods import Period, period_containing, previous_period, user_today
from budgetpay.testing.factories import make_category, make_transaction
from transactions.models import Account, Category, Transaction

MESSAGES = "/api/v1/chatbot/messages"
CONVERSATIONS = "/api/v1/chatbot/conversations"
ACTIONS = "/api/v1/chatbot/actions"
WS = "/api/v1/chatbot/ws"


def send(client: APIClient, content: str, conversation: int | None = None):
    body = {"content": content} if conversation is None else {"content": content, "conversation": conversation}
    return client.post(MESSAGES, body, format="json")


async def open_socket(user=None, token: str | None = None) -> WebsocketCommunicator:
    """The chat socket, connected with `token` (default: a fresh access token of `user`)."""
    token = token if token is not None else str(AccessToken.for_user(user))
    communicator = WebsocketCommunicator(application, f"{WS}?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(socket: WebsocketCommunicator, timeout: float = 5) -> dict:
    return json.loads(await socket.receive_from(timeout=timeout))


async def chat(socket: WebsocketCommunicator, content: str, conversation: int | None = None) -> tuple[list[str], dict]:
    """Send a message; the token pieces and the final frame (a message or an error)."""
    await socket.send_json_to({"type": "message", "conversation": conversation, "content": content})
    pieces = []
    while True:
        frame = await receive(socket)
        if frame["type"] != "token":
            return pieces, frame
        pieces.append(frame["data"])


@dataclass
class Ledger:
    today: date
    last_month: Period
    account: Account
    groceries: Category
    food: Category
    big_shop: Transaction


def make_chat_ledger(user, other_user) -> Ledger:
    """Last month: groceries 40.00 + 12.50, food 30.00 (82.50 spent) and 2000.00 income;
    this month: groceries 99.00. The other person has 1000.00 of groceries last month,
    which `user` must never see."""
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
        other_account,
        amount="1000.00",
        on=last_month.start,
        category=make_category(other_user, name="Groceries"),
        description="Grace's secret shopping",
    )
    return Ledger(today, last_month, account, groceries, food, big_shop)
