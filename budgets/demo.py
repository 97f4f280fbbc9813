"""The demo account: six months of a plausible ledger, budgets near and over their limits,
and goals at every stage. Rows are written with bulk_create, so no post_save receiver (and
so no notification) fires for them. The randomness is seeded: the same day gives the same data."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.db import transaction

from budgetpay.periods import period_containing, user_today
from budgets.models import Budget
from goals.models import Goal, GoalEntry
from transactions.models import Account, Category, Transaction
from users.models import User

DEMO_EMAIL = "demo@budgetpay.local"
DEMO_PASSWORD = "demo-pass-2026"
SEED = 2026
HISTORY_DAYS = 183

EXPENSE_CATEGORIES = {
    "Housing": "#8250df",
    "Food": "#1f883d",
    "Dining": "#bf3989",
    "Transport": "#0969da",
    "Shopping": "#d1242f",
    "Utilities": "#9a6700",
    "Travel": "#1b7c83",
}
INCOME_CATEGORIES = {"Salary": "#2da44e"}
ACCOUNTS = {
    # name: (kind, currency, opening balance)
    "Main account": (Account.Kind.BANK, "USD", Decimal("2500.00")),
    "Credit card": (Account.Kind.CARD, "USD", Decimal("0.00")),
    "Cash": (Account.Kind.CASH, "USD", Decimal("150.00")),
    "Savings": (Account.Kind.SAVINGS, "USD", Decimal("6000.00")),
    "Euro travel card": (Account.Kind.CARD, "EUR", Decimal("300.00")),
}


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


@dataclass
class _Ledger:
    user: User
    accounts: dict[str, Account]
    categories: dict[str, Category]
    today: date
    rows: list[Transaction] = field(default_factory=list)

    def add(
        self, day: date, kind: str, amount: Decimal, account: str, category: str | None, description: str, **extra
    ) -> None:
        """Record a transaction, unless it falls after today."""
        if day > self.today:
            return
        self.rows.append(
            Transaction(
                user=self.user,
                account=self.accounts[account],
                category=self.categories[category] if category else None,
                kind=kind,
                amount=amount,
                date=day,
                description=description,
                **extra,
            )
        )

    def spent(self, category: str, since: date) -> Decimal:
        """Spending in `category` from `since` on, as a budget counts it."""
        return sum(
            (
                row.amount
                for row in self.rows
                if row.kind == Transaction.Kind.EXPENSE
                and row.category == self.categories[category]
                and row.date >= since
                and row.account.currency == self.user.currency
            ),
            Decimal("0.00"),
        )


def _reset_user() -> User:
    """A fresh demo user: any earlier one goes, with everything it owns."""
    existing = User.objects.filter(email__iexact=DEMO_EMAIL).first()
    if existing is not None:
        Transaction.objects.filter(user=existing).delete()  # an account may not go while rows point at it
        existing.delete()
    user = User.objects.create_user(
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        full_name="Demo User",
        currency="USD",
        timezone="Europe/London",
        monthly_income=Decimal("4200.00"),
    )
    EmailAddress.objects.create(user=user, email=DEMO_EMAIL, primary=True, verified=True)
    return user


def _categories(user: User) -> dict[str, Category]:
    """The demo categories, reusing any a new user already received by default."""
    categories = {}
    for kind, names in ((Category.Kind.EXPENSE, EXPENSE_CATEGORIES), (Category.Kind.INCOME, INCOME_CATEGORIES)):
        for name, color in names.items():
            category = Category.objects.filter(user=user, kind=kind, name__iexact=name).first()
            if category is None:
                category = Category.objects.create(user=user, kind=kind, name=name, color=color)
            categories[name] = category
    return categories


def _accounts(user: User) -> dict[str, Account]:
    accounts = {}
    for name, (kind, currency, opening_balance) in ACCOUNTS.items():
        account = Account.objects.filter(user=user, name__iexact=name).first() or Account(user=user, name=name)
        account.kind, account.currency, account.opening_balance = kind, currency, opening_balance
        account.save()
        accounts[name] = account
    return accounts


def _history(ledger: _Ledger, rng: random.Random) -> None:
    start = ledger.today - timedelta(days=HISTORY_DAYS)
    expense, income = Transaction.Kind.EXPENSE, Transaction.Kind.INCOME
    for offset in range(HISTORY_DAYS + 1):
        day = start + timedelta(days=offset)
        if day.day == 1:
            ledger.add(day, income, Decimal("4200.00"), "Main account", "Salary", "Salary", payee="Acme Ltd")
            ledger.add(day, expense, Decimal("1450.00"), "Main account", "Housing", "Rent", payee="City Lettings")
            ledger.add(day, expense, _money(rng, 70, 110), "Main account", "Food", "Monthly shop", payee="Tesco")
            ledger.add(day, expense, _money(rng, 90, 180), "Credit card", "Shopping", "Clothes", payee="Uniqlo")
        if day.day == 2:
            savings = ledger.accounts["Savings"]
            transfer = Transaction.Kind.TRANSFER
            ledger.add(day, transfer, Decimal("400.00"), "Main account", None, "To savings", transfer_account=savings)
        if day.day == 5:
            ledger.add(day, expense, _money(rng, 60, 110), "Main account", "Utilities", "Electricity", payee="Octopus")
        if day.day == 12:
            ledger.add(day, expense, Decimal("45.00"), "Main account", "Utilities", "Broadband", payee="BT")
        if day.weekday() == 0:
            ledger.add(day, expense, Decimal("25.00"), "Credit card", "Transport", "Weekly travel pass", payee="TfL")
        if day.weekday() == 5:
            ledger.add(day, expense, _money(rng, 60, 120), "Credit card", "Food", "Groceries", payee="Sainsbury's")
        if rng.random() < 0.35:
            ledger.add(day, expense, _money(rng, 12, 45), "Credit card", "Dining", "Dinner out", payee="Local bistro")
        if rng.random() < 0.1:
            ledger.add(day, expense, _money(rng, 20, 150), "Credit card", "Shopping", "Online order", payee="Amazon")
        if rng.random() < 0.05:
            ledger.add(day, expense, _money(rng, 10, 30), "Cash", None, "Market stall")
        if rng.random() < 0.08:
            ledger.add(day, expense, _money(rng, 12, 35), "Cash", "Transport", "Taxi")


def _euro_trip(ledger: _Ledger, rng: random.Random) -> None:
    month_start = ledger.today.replace(day=1)
    for offset, description in ((0, "Hotel deposit"), (1, "Train ticket"), (3, "Museum")):
        day = min(month_start + timedelta(days=offset), ledger.today)
        ledger.add(day, Transaction.Kind.EXPENSE, _money(rng, 20, 180), "Euro travel card", "Travel", description)


def _budgets(ledger: _Ledger) -> list[Budget]:
    """Food at about 85 % this month, Shopping over its limit, all spending, and a weekly
    dining budget that rolls over, all relative to what the ledger holds this month."""
    user, categories = ledger.user, ledger.categories
    month_start = period_containing("month", ledger.today).start

    def dollars(value: Decimal) -> Decimal:
        return max(value.quantize(Decimal("1"), ROUND_HALF_UP), Decimal("1"))

    return [
        Budget(
            user=user,
            name="Groceries",
            category=categories["Food"],
            amount=dollars(ledger.spent("Food", month_start) / Decimal("0.85")),
            start_date=month_start,
        ),
        Budget(
            user=user,
            name="Shopping",
            category=categories["Shopping"],
            amount=dollars(ledger.spent("Shopping", month_start) * Decimal("0.8")),
            start_date=month_start,
        ),
        Budget(user=user, name="Everything", amount=Decimal("3600.00"), start_date=month_start - timedelta(days=90)),
        Budget(
            user=user,
            name="Eating out",
            category=categories["Dining"],
            amount=Decimal("70.00"),
            period=Budget.Period.WEEKLY,
            rollover=True,
            start_date=ledger.today - timedelta(weeks=8),
        ),
    ]


def _goals(user: User, accounts: dict[str, Account], today: date) -> None:
    """One achieved goal, one on track and one behind its straight line."""
    specs = [
        # name, target, target date, created days ago, contributions as (days ago, amount)
        ("Emergency fund", "6000.00", None, 170, [(170, "2000.00"), (120, "2000.00"), (60, "2000.00")]),
        ("Summer holiday", "3000.00", today + timedelta(days=120), 90, [(85, "600.00"), (55, "500"), (20, "500")]),
        ("New laptop", "2400.00", today + timedelta(days=45), 120, [(110, "300.00"), (40, "300.00")]),
    ]
    goals = Goal.objects.bulk_create(
        Goal(user=user, name=name, target_amount=Decimal(target), target_date=target_date, account=accounts["Savings"])
        for name, target, target_date, _, _ in specs
    )
    zone = ZoneInfo(user.timezone)
    entries = []
    for goal, (_, _, _, created_days_ago, contributions) in zip(goals, specs, strict=True):
        created = datetime.combine(today - timedelta(days=created_days_ago), time(12), tzinfo=zone)
        Goal.objects.filter(pk=goal.pk).update(created_at=created)
        entries += [
            GoalEntry(goal=goal, amount=Decimal(amount), date=today - timedelta(days=days_ago), note="Monthly saving")
            for days_ago, amount in contributions
        ]
    emergency, withdrawal = goals[0], GoalEntry.Kind.WITHDRAWAL
    month_ago, ten_days_ago = today - timedelta(days=30), today - timedelta(days=10)
    entries += [
        GoalEntry(goal=emergency, kind=withdrawal, amount=Decimal("150"), date=month_ago, note="Boiler repair"),
        GoalEntry(goal=emergency, amount=Decimal("150"), date=ten_days_ago, note="Top-up"),
    ]
    GoalEntry.objects.bulk_create(entries)


@transaction.atomic
def demo_seed() -> User:
    """Create the demo user, or replace an earlier one, with a ledger ending today in its timezone."""
    user = _reset_user()
    ledger = _Ledger(user=user, accounts=_accounts(user), categories=_categories(user), today=user_today(user))
    rng = random.Random(SEED)
    _history(ledger, rng)
    _euro_trip(ledger, rng)
    Transaction.objects.bulk_create(ledger.rows)
    Budget.objects.bulk_create(_budgets(ledger))
    _goals(user, ledger.accounts, ledger.today)
    return user
