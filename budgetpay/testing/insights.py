"""Insights in tests: their endpoints, and a calm month (what the rules call a budget_insight)
with known figures on a fixed day."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from budgetpay.testing.factories import make_account, make_category, make_transaction
from transactions.models import Account, Category, Transaction

GENERATE = "/api/v1/notification/generate-budget-insight"
GENERATE_AI = "/api/v1/notification/generate-ai"
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def make_calm_month(user) -> tuple[Account, Category]:
    """3000.00 monthly income and salary in on the 1st; 100.00 on dining, today (42.50, lunch)
    and two days ago (57.50). Today is TODAY: freeze the clock at NOW."""
    user.monthly_income = Decimal("3000.00")
    user.save()
    account = make_account(user, name="Everyday")
    dining = make_category(user, name="Dining")
    make_transaction(
        account, amount="3000.00", kind=Transaction.Kind.INCOME, on=date(2026, 11, 1), description="Salary"
    )
    make_transaction(account, amount="42.50", category=dining, on=TODAY, description="Lunch")
    make_transaction(account, amount="57.50", category=dining, on=TODAY - timedelta(days=2))
    return account, dining
