"""Benchmark data in the bench database, from a Django process pointed at it.

python -m bench.setup_data users --count N --history-users M --history-each T --out FILE
    N users (unusable passwords), a "Main account" each, T past expenses for the
    first M of them (so the list endpoint returns full pages), and an access token
    each; writes [{id, account, token}, ...] to FILE.
python -m bench.setup_data queries --out FILE
    the number of SQL queries the transaction list and create endpoints make.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date, timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "budgetpay.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from transactions.models import Account, Transaction  # noqa: E402
from users.models import User  # noqa: E402

BATCH = 2000


def create_users(count: int, history_users: int, history_each: int) -> list[dict]:
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"bench{i}@bench.invalid", password=unusable, full_name=f"Bench {i}") for i in range(count)],
        batch_size=BATCH,
    )
    accounts = Account.objects.bulk_create(
        [Account(user=user, name="Main account", kind=Account.Kind.BANK, currency="USD") for user in users],
        batch_size=BATCH,
    )
    today = date.today()
    history = [
        Transaction(
            user=user,
            account=account,
            kind=Transaction.Kind.EXPENSE,
            amount=Decimal("12.34") + day,
            date=today - timedelta(days=day),
            description=f"Groceries {day}",
            payee="Corner shop",
        )
        for user, account in list(zip(users, accounts, strict=True))[:history_users]
        for day in range(history_each)
    ]
    Transaction.objects.bulk_create(history, batch_size=BATCH)
    return [
        {"id": user.pk, "account": account.pk, "token": str(AccessToken.for_user(user))}
        for user, account in zip(users, accounts, strict=True)
    ]


def count_queries() -> dict:
    """Queries of one list page and one create, as a client makes them (JWT, JSON)."""
    user = User.objects.filter(email="bench0@bench.invalid").get()
    account = Account.objects.filter(user=user).first()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}", HTTP_HOST="127.0.0.1")
    result = {}
    for name, call, expected in (
        ("list", lambda: client.get("/api/v1/transactions?page_size=50"), 200),
        (
            "create",
            lambda: client.post(
                "/api/v1/transactions",
                {"account": account.pk, "kind": "income", "amount": "10.00", "description": "query count"},
                content_type="application/json",
            ),
            201,
        ),
    ):
        call()  # warm: the first request loads URL patterns and content types
        with CaptureQueriesContext(connection) as captured:
            response = call()
        assert response.status_code == expected, (name, response.status_code, response.content[:300])
        result[name] = {
            "queries": len(captured),
            "statements": [query["sql"][:160] for query in captured.captured_queries],
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["users", "queries"])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--history-users", type=int, default=200)
    parser.add_argument("--history-each", type=int, default=60)
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    if arguments.what == "users":
        result = create_users(arguments.count, arguments.history_users, arguments.history_each)
    else:
        result = count_queries()
    with open(arguments.out, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
