"""A person's ledger written over a real server's API (end-to-end tests): the budget that an
expense will cross, the expense itself."""

from __future__ import annotations

from datetime import date

from budgetpay.testing.servers import DaphneServer, http_json


def over_budget_setup(server: DaphneServer, token: str) -> tuple[int, int]:
    """A 100.00 monthly budget on a fresh category; returns (account id, category id)."""
    status, category = http_json(server.url, "POST", "/api/v1/categories", {"name": "Dining", "kind": "expense"}, token)
    assert status == 201, category
    status, account = http_json(server.url, "POST", "/api/v1/accounts", {"name": "Card", "kind": "card"}, token)
    assert status == 201, account
    status, budget = http_json(
        server.url,
        "POST",
        "/api/v1/budgets",
        {
            "category": category["id"],
            "amount": "100.00",
            "period": "monthly",
            "start_date": date.today().replace(day=1).isoformat(),
        },
        token,
    )
    assert status == 201, budget
    return account["id"], category["id"]


def post_expense(
    server: DaphneServer, token: str, account: int, category: int, amount: str, kind: str = "expense"
) -> dict:
    status, body = http_json(
        server.url,
        "POST",
        "/api/v1/transactions",
        {"account": account, "category": category, "kind": kind, "amount": amount, "description": "Dinner"},
        token,
    )
    assert status == 201, body
    return body
