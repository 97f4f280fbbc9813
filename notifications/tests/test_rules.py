"""Each rule fires once and only once, from real saves of ledger rows."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from budgetpay.testing.clock import Clock, freeze_now
from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgets.models import Budget
from goals.models import Goal, GoalEntry
from notifications import rules
from notifications.models import Notification
from notifications.services import preferences_update
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch) -> Clock:
    return freeze_now(monkeypatch, NOW)


@pytest.fixture
def ledger(user):
    account = make_account(user, name="Everyday")
    food = make_category(user, name="Groceries")
    budget = Budget.objects.create(user=user, category=food, amount=Decimal("100.00"), start_date=date(2026, 1, 1))
    return account, food, budget


def of_type(type_):
    return list(Notification.objects.filter(type=type_).order_by("id"))


def test_threshold_then_exceeded_each_once_per_period(user, ledger, frozen_clock):
    account, food, budget = ledger
    make_transaction(account, amount="50.00", category=food, on=TODAY)
    assert not of_type("budget_threshold")

    crossing = make_transaction(account, amount="35.00", category=food, on=TODAY)
    (threshold,) = of_type("budget_threshold")
    assert threshold.title == "Groceries budget at 80 %"
    assert (threshold.data["threshold"], threshold.data["percent_used"]) == (80, "85.00")
    assert threshold.related_type == "budget" and threshold.related_id == budget.id

    crossing.description = "edited"
    crossing.save()
    make_transaction(account, amount="1.00", category=food, on=TODAY)
    assert len(of_type("budget_threshold")) == 1

    make_transaction(account, amount="20.00", category=food, on=TODAY)
    (exceeded,) = of_type("budget_exceeded")
    assert exceeded.level == "alert"
    assert "$6.00 over" in exceeded.message

    # Next month the same thresholds notify again.
    december = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    frozen_clock.move_to(december)
    make_transaction(account, amount="90.00", category=food, on=december.date())
    assert len(of_type("budget_threshold")) == 2


def test_crossing_by_editing_a_transaction(user, ledger):
    account, food, _ = ledger
    expense = make_transaction(account, amount="10.00", category=food, on=TODAY)
    assert not of_type("budget_threshold")
    expense.amount = Decimal("82.00")
    expense.save()
    assert len(of_type("budget_threshold")) == 1


def test_a_new_income_or_transfer_reads_no_budget_and_an_edit_into_an_expense_does(user, ledger, monkeypatch):
    account, food, _ = ledger
    savings = make_account(user, name="Savings", kind="savings")
    checked = []
    real = rules.budget_thresholds
    monkeypatch.setattr(rules, "budget_thresholds", lambda **kwargs: checked.append(kwargs) or real(**kwargs))
    income = make_transaction(account, amount="90.00", kind=Transaction.Kind.INCOME, on=TODAY)
    make_transaction(account, amount="50.00", kind=Transaction.Kind.TRANSFER, transfer_account=savings, on=TODAY)
    assert checked == []  # budgets count expenses only
    income.kind, income.category = Transaction.Kind.EXPENSE, food  # booked as income by mistake
    income.save()
    assert len(checked) == 1 and len(of_type("budget_threshold")) == 1


def test_back_dated_spending_in_a_past_period_is_not_news(user, ledger):
    account, food, _ = ledger
    make_transaction(account, amount="99.00", category=food, on=date(2026, 10, 15))
    assert not of_type("budget_threshold") and not of_type("budget_exceeded")


def test_transfers_and_other_currencies_never_cross_a_budget(user):
    main = make_account(user, name="Main")
    savings = make_account(user, name="Savings", kind="savings")
    euro = make_account(user, name="Euro card", currency="EUR")
    Budget.objects.create(user=user, amount=Decimal("100.00"), start_date=date(2026, 1, 1))
    make_transaction(main, amount="500.00", kind=Transaction.Kind.TRANSFER, transfer_account=savings, on=TODAY)
    make_transaction(euro, amount="500.00", on=TODAY)
    assert not Notification.objects.filter(type__startswith="budget").exists()


def test_a_rolled_back_expense_notifies_nothing(user, ledger):
    account, food, _ = ledger
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            make_transaction(account, amount="95.00", category=food, on=TODAY)
            assert len(of_type("budget_threshold")) == 1
            raise RuntimeError("rolled back")
    assert not Notification.objects.exists()


def test_income_received_once_and_receipts_only_when_turned_on(user, ledger):
    account, _, _ = ledger
    salary = make_transaction(account, amount="2500.00", kind=Transaction.Kind.INCOME, on=TODAY, description="Salary")
    salary.save()
    (income,) = of_type("income_received")
    assert income.title == "Income received: $2,500.00"
    assert income.level == "success"

    make_transaction(account, amount="4.00", on=TODAY)
    assert not of_type("expense_recorded")
    preferences_update(user=user, changes={"expense_recorded": True})
    make_transaction(account, amount="5.00", on=TODAY, payee="Bakery")
    (receipt,) = of_type("expense_recorded")
    assert receipt.message == "$5.00 paid from Everyday (Bakery)."


def test_large_expense_against_the_users_own_usual_spending(user, ledger):
    account, _, _ = ledger
    for day in range(5):
        make_transaction(account, amount="20.00", on=TODAY - timedelta(days=day + 1))
    make_transaction(account, amount="59.00", on=TODAY)
    assert not of_type("large_expense")
    big = make_transaction(account, amount="80.00", on=TODAY, description="New phone")
    (alert,) = of_type("large_expense")
    assert alert.related_id == big.id
    assert alert.data["usual_amount"] == "26.50"


def test_a_fixed_payment_is_not_a_large_expense(user, ledger):
    account, _, _ = ledger
    for day in range(5):
        make_transaction(account, amount="20.00", on=TODAY - timedelta(days=day + 1))
    housing = make_category(user, name="Housing", is_fixed=True)
    make_transaction(account, amount="1200.00", on=TODAY, category=housing, description="Rent")
    assert not of_type("large_expense")
    make_transaction(account, amount="1200.00", on=TODAY, description="Laptop")
    assert len(of_type("large_expense")) == 1


def test_large_expense_needs_enough_history(user, ledger):
    account, _, _ = ledger
    make_transaction(account, amount="5.00", on=TODAY)
    make_transaction(account, amount="500.00", on=TODAY)
    assert not of_type("large_expense")


def test_goal_milestones_and_achieved_once_each(user):
    goal = Goal.objects.create(user=user, name="Bike", target_amount=Decimal("400.00"))
    GoalEntry.objects.create(goal=goal, amount=Decimal("110.00"), date=TODAY)
    assert [n.data["percent"] for n in of_type("goal_milestone")] == [25]
    entry = GoalEntry.objects.create(goal=goal, amount=Decimal("100.00"), date=TODAY)
    entry.save()
    assert [n.data["percent"] for n in of_type("goal_milestone")] == [25, 50]
    GoalEntry.objects.create(goal=goal, amount=Decimal("200.00"), date=TODAY)
    (achieved,) = of_type("goal_achieved")
    assert achieved.title == "Goal achieved: Bike"
    # A withdrawal and a new contribution do not repeat anything.
    GoalEntry.objects.create(goal=goal, kind=GoalEntry.Kind.WITHDRAWAL, amount=Decimal("300.00"), date=TODAY)
    GoalEntry.objects.create(goal=goal, amount=Decimal("300.00"), date=TODAY)
    assert len(of_type("goal_milestone")) == 2 and len(of_type("goal_achieved")) == 1


def test_goal_due_soon_and_behind(user):
    goal = Goal.objects.create(
        user=user, name="Trip", target_amount=Decimal("1000.00"), target_date=TODAY + timedelta(days=10)
    )
    Goal.objects.filter(pk=goal.pk).update(created_at=NOW - timedelta(days=80))
    goal.refresh_from_db()
    GoalEntry.objects.create(goal=goal, amount=Decimal("100.00"), date=TODAY)
    (behind,) = of_type("goal_behind")
    assert behind.data["days_left"] == 11
    GoalEntry.objects.create(goal=goal, amount=Decimal("10.00"), date=TODAY)
    assert len(of_type("goal_behind")) == 1


def test_deleting_the_account_owner_notifies_nothing(user, ledger):
    account, food, _ = ledger
    make_transaction(account, amount="85.00", category=food, on=TODAY)
    count = Notification.objects.count()
    user.delete()
    assert Notification.objects.count() == 0 and count == 1


def test_an_import_that_crosses_a_budget_notifies_once(user):
    from transactions.imports import transactions_import

    account = make_account(user, name="Imported")
    Budget.objects.create(user=user, amount=Decimal("100.00"), start_date=date(2026, 1, 1))
    csv = f"Date,Description,Amount\n{TODAY.isoformat()},Rent share,-60.00\n{TODAY.isoformat()},Shoes,-30.00\n".encode()
    transactions_import(user=user, account=account, content=csv)
    transactions_import(user=user, account=account, content=csv)
    (threshold,) = of_type("budget_threshold")
    assert threshold.data["spent"] == "90.00"
