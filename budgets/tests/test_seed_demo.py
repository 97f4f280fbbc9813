from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from budgetpay.periods import user_today
from budgets.demo import DEMO_EMAIL, DEMO_PASSWORD
from budgets.reports import report_summary
from budgets.selectors import budget_statuses
from goals.models import GoalEntry
from goals.selectors import goal_list, goal_progress
from notifications.models import Notification
from transactions.models import Transaction
from users.models import User

pytestmark = pytest.mark.django_db


def shape(user: User) -> dict:
    """What a second run must reproduce: every row's kind, name and amount, not its id."""
    transactions = Transaction.objects.filter(user=user)
    entries = GoalEntry.objects.filter(goal__user=user)
    budget_fields = ("name", "category__name", "period", "amount", "rollover", "start_date")
    return {
        "profile": (user.currency, user.timezone, user.monthly_income),
        "accounts": sorted(user.accounts.values_list("name", "kind", "currency", "opening_balance")),
        "categories": sorted(user.categories.values_list("name", "kind")),
        "transactions": Counter(transactions.values_list("kind", "category__name", "account__name")),
        "total": transactions.aggregate(total=Sum("amount"))["total"],
        "budgets": sorted(user.budgets.values_list(*budget_fields)),
        "goals": sorted(user.goals.values_list("name", "target_amount", "target_date", "account__name")),
        "entries": sorted(entries.values_list("goal__name", "kind", "amount", "date")),
    }


def run_seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_twice_leaves_one_demo_user_with_the_same_data(api_client):
    output = run_seed()
    assert DEMO_EMAIL in output
    assert DEMO_PASSWORD in output
    first = shape(User.objects.get(email=DEMO_EMAIL))

    run_seed()

    assert User.objects.filter(email__iexact=DEMO_EMAIL).count() == 1
    user = User.objects.get(email=DEMO_EMAIL)
    assert shape(user) == first
    login = api_client.post("/api/v1/auth/token", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, format="json")
    assert login.status_code == 200


def test_demo_data_tells_a_story():
    run_seed()
    user = User.objects.get(email=DEMO_EMAIL)
    today = user_today(user)
    assert (user.currency, user.monthly_income) == ("USD", 4200)

    kinds = Counter(Transaction.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds["income"] >= 6
    assert kinds["expense"] > 100
    assert kinds["transfer"] >= 5
    assert Transaction.objects.filter(user=user, date__gt=today).count() == 0
    oldest = Transaction.objects.filter(user=user).earliest("date").date
    assert 170 <= (today - oldest).days <= 190

    statuses = {status.budget.name: status for status in budget_statuses(user=user, on=today)}
    groceries, shopping = statuses["Groceries"], statuses["Shopping"]
    assert 80 <= groceries.percent_used < 100
    assert groceries.health == "warning"
    assert shopping.percent_used > 100
    assert shopping.health == "over"
    assert statuses["Everything"].budget.category is None
    assert statuses["Eating out"].budget.rollover
    assert statuses["Eating out"].rollover != 0

    goals = {goal.name: goal_progress(goal=goal, today=today).status for goal in goal_list(user=user)}
    assert sorted(goals.values()) == ["achieved", "behind", "on_track"]

    summary = report_summary(user=user, period="month", on=today)
    assert [line.currency for line in summary.other_currencies] == ["EUR"]
    assert summary.other_currencies[0].totals.spending > 0
    assert summary.totals.income == 4200

    assert not Notification.objects.filter(user=user).exists()


def test_if_missing_leaves_an_existing_demo_user_alone(db):
    from io import StringIO

    from django.core.management import call_command

    from budgets.demo import DEMO_EMAIL
    from users.models import User

    call_command("seed_demo", "--if-missing", stdout=StringIO())
    demo = User.objects.get(email=DEMO_EMAIL)
    demo.transactions.filter(description__isnull=False).first().delete()
    remaining = demo.transactions.count()
    output = StringIO()
    call_command("seed_demo", "--if-missing", stdout=output)
    assert "Demo user exists" in output.getvalue()
    assert User.objects.get(email=DEMO_EMAIL).pk == demo.pk
    assert demo.transactions.count() == remaining
