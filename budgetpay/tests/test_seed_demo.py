from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from budgetpay.demo import CARD_PAYMENT_DAY, DEMO_EMAIL, DEMO_PASSWORD, INBOX_READ_DAYS_AGO
from budgetpay.periods import user_today
from budgets.reports import report_summary
from budgets.selectors import budget_statuses
from goals.models import GoalEntry
from goals.selectors import goal_list, goal_progress
from notifications.insights import INSIGHT_TYPES
from notifications.models import Notification
from transactions.models import Account, Transaction
from transactions.selectors import account_list
from users.models import User

pytestmark = pytest.mark.django_db

RULE_TYPES = {
    Notification.Type.INCOME_RECEIVED,
    Notification.Type.BUDGET_THRESHOLD,
    Notification.Type.BUDGET_EXCEEDED,
    Notification.Type.GOAL_MILESTONE,
    Notification.Type.GOAL_ACHIEVED,
}


@pytest.fixture(autouse=True)
def debug_on(settings) -> None:
    """seed_demo runs as under `make run` (DEBUG on) unless a test says otherwise."""
    settings.DEBUG = True


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
        # The day, not the moment: what happens later today is dated at the run's own now.
        "notifications": sorted((n.type, n.title, n.is_read, n.created_at.date()) for n in user.notifications.all()),
    }


def run_seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def demo() -> User:
    run_seed()
    return User.objects.get(email=DEMO_EMAIL)


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


def test_demo_data_tells_a_story(demo):
    user = demo
    today = user_today(user)
    assert (user.currency, user.monthly_income) == ("USD", 4200)

    kinds = Counter(Transaction.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds["income"] >= 6
    assert kinds["expense"] > 100
    assert kinds["transfer"] >= 10
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


def test_no_account_but_the_credit_card_is_ever_below_zero(demo):
    """Day by day, in the order the rows were written (a withdrawal comes before the cash it pays)."""
    balances = {account.pk: account.opening_balance for account in demo.accounts.all()}
    lowest = dict(balances)
    for tx in Transaction.objects.filter(user=demo).order_by("date", "id"):
        sign = Decimal(1) if tx.kind == Transaction.Kind.INCOME else Decimal(-1)
        balances[tx.account_id] += sign * tx.amount
        if tx.transfer_account_id:
            balances[tx.transfer_account_id] += tx.amount
        for account in (tx.account_id, tx.transfer_account_id):
            if account:
                lowest[account] = min(lowest[account], balances[account])

    names = dict(demo.accounts.values_list("pk", "name"))
    assert {names[pk]: low >= 0 for pk, low in lowest.items()} == {
        "Main account": True,
        "Cash": True,
        "Savings": True,
        "Euro travel card": True,
        "Credit card": False,  # it owes what was spent since the last payment
    }
    final = {account.name: account.balance for account in account_list(user=demo)}
    assert final == {names[pk]: balance for pk, balance in balances.items()}
    assert all(balance >= 0 for name, balance in final.items() if name != "Credit card")
    assert Transaction.objects.filter(user=demo, transfer_account__name="Cash", description="Cash withdrawal").exists()


def test_the_credit_card_is_paid_in_full_from_the_bank_each_month(demo):
    today = user_today(demo)
    card = Account.objects.get(user=demo, name="Credit card")
    rows = Transaction.objects.filter(user=demo)
    payments = list(rows.filter(transfer_account=card).order_by("date"))
    assert {(payment.account.name, payment.kind, payment.date.day) for payment in payments} == {
        ("Main account", "transfer", CARD_PAYMENT_DAY)
    }

    # Each month's card spending is paid on the next month's payment day, once it has come ...
    spending_months = {day.replace(day=1) for day in rows.filter(account=card).values_list("date", flat=True)}
    due = sorted((month + timedelta(days=32)).replace(day=CARD_PAYMENT_DAY) for month in spending_months)
    assert [payment.date for payment in payments] == [day for day in due if day <= today]
    assert len(payments) >= 5
    # ... of everything the card owed at the end of the month before.
    for payment in payments:
        month_start = payment.date.replace(day=1)
        spent_before = rows.filter(account=card, date__lt=month_start).aggregate(total=Sum("amount"))["total"]
        paid_before = rows.filter(transfer_account=card, date__lt=payment.date).aggregate(total=Sum("amount"))["total"]
        assert payment.amount == spent_before - (paid_before or 0)

    owed = -{account.name: account.balance for account in account_list(user=demo)}["Credit card"]
    since_last_statement = rows.filter(account=card, date__gte=payments[-1].date.replace(day=1))
    assert owed == since_last_statement.aggregate(total=Sum("amount"))["total"]


def test_the_inbox_holds_what_the_rules_said_over_the_months(demo):
    """The notifications were written by the live rules as the months were replayed: from
    several rules, dated when they happened, with the latest ones unread."""
    now = timezone.now()
    notifications = Notification.objects.filter(user=demo)
    types = set(notifications.values_list("type", flat=True))
    assert RULE_TYPES <= types
    assert types & set(INSIGHT_TYPES)
    assert set(notifications.values_list("source", flat=True)) == {Notification.Source.RULE}
    assert notifications.filter(type=Notification.Type.EXPENSE_RECORDED).count() == 0  # off by default

    # Each comes from a rule's own key: one per budget, period and threshold, per goal milestone ...
    keys = list(notifications.values_list("dedupe_key", flat=True))
    assert all(keys) and len(set(keys)) == len(keys)
    assert any(key.startswith("budget:") for key in keys)
    assert any(key.startswith("goal:") and ":milestone:" in key for key in keys)
    assert any(key.startswith("daily-insight:") for key in keys)
    budget_ids = set(demo.budgets.values_list("pk", flat=True))
    for alert in notifications.filter(type__in=[Notification.Type.BUDGET_THRESHOLD, Notification.Type.BUDGET_EXCEEDED]):
        assert (alert.related_type, alert.related_id in budget_ids) == ("budget", True)
    titles = set(notifications.values_list("title", flat=True))
    assert {"Groceries budget at 80 %", "Shopping budget exceeded", "Goal achieved: Emergency fund"} <= titles

    # ... dated over the months, never in the future, and read up to a few days ago.
    moments = sorted(notifications.values_list("created_at", flat=True))
    assert moments[0] < now - timedelta(days=150) and moments[-1] <= now
    read, unread = notifications.filter(is_read=True), notifications.filter(is_read=False)
    assert read.exists() and unread.exists()
    read_at = set(read.values_list("read_at", flat=True))
    assert len(read_at) == 1
    (last_read,) = read_at
    assert timedelta(days=INBOX_READ_DAYS_AGO - 1) < now - last_read < timedelta(days=INBOX_READ_DAYS_AGO + 1)
    assert (
        max(read.values_list("created_at", flat=True)) <= last_read < min(unread.values_list("created_at", flat=True))
    )


def test_every_month_brings_its_notifications(demo):
    months = defaultdict(set)
    for created_at, type in Notification.objects.filter(user=demo).values_list("created_at", "type"):
        months[(created_at.year, created_at.month)].add(type)
    assert len(months) >= 6
    assert sum(Notification.Type.INCOME_RECEIVED in types for types in months.values()) >= 6


def test_with_debug_off_it_refuses_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password.*--force"):
        run_seed()
    assert "No demo user" in run_seed("--if-missing")  # make run still starts, without the demo
    assert not User.objects.filter(email__iexact=DEMO_EMAIL).exists()

    assert DEMO_PASSWORD in run_seed("--force")
    assert User.objects.filter(email__iexact=DEMO_EMAIL).count() == 1


def test_if_missing_leaves_an_existing_demo_user_alone():
    call_command("seed_demo", "--if-missing", stdout=StringIO())
    demo = User.objects.get(email=DEMO_EMAIL)
    demo.transactions.filter(description__isnull=False).first().delete()
    remaining = demo.transactions.count()
    output = StringIO()
    call_command("seed_demo", "--if-missing", stdout=output)
    assert "Demo user exists" in output.getvalue()
    assert User.objects.get(email=DEMO_EMAIL).pk == demo.pk
    assert demo.transactions.count() == remaining
