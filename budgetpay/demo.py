"""The demo account: six months of a plausible ledger, written the way a person would have
written it, one moment after another, through the services.

Every write goes through the same services as the API and the pages, under a clock the
seeder moves forward (`demo_clock`), so the post_save receivers and the notification rules
fire as they do in live use and the inbox holds what those months would have brought:
budget alerts, goal milestones, income and large-expense notices, and an evening insight
now and then (written by the rules from the same context the model would see: the demo
never calls a model). The person read their inbox a few days ago, so the latest ones are
unread.

The ledger adds up: the salary lands in the bank account, the credit card is paid in full
each month from it, and cash comes from withdrawals before it runs out, so no account but
the card (between payments) is ever below zero. Budgets end near and over their limits and
goals achieved, on track and behind. The randomness is seeded: the same day gives the same
data.

This module composes every domain (ledger, budgets, goals, notifications), as a fixture
would, so it sits with the composition root at the top of the layers (.importlinter);
nothing imports it but the `seed_demo` command and its test.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from unittest import mock
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from budgetpay.periods import period_containing, user_today
from budgets.models import Budget
from budgets.services import budget_create
from chatbot.context import financial_context
from goals.models import Goal, GoalEntry
from goals.services import goal_create, goal_entry_create
from notifications.insights import choose_insight_type, insight_notify, rules_insight
from notifications.models import Notification
from notifications.services import notification_mark_all_read
from transactions.models import Account, Category, Transaction
from transactions.services import account_create, account_update, category_create, transaction_create
from users.models import User

DEMO_EMAIL = "demo@budgetpay.local"
DEMO_PASSWORD = "demo-pass-2026"
DEMO_TIMEZONE = "Europe/London"
SEED = 2026
HISTORY_DAYS = 183
CARD_PAYMENT_DAY = 3  # the card's statement (last month's spending) is paid in full on this day
CASH_FLOOR = Decimal("20.00")  # below this, the person draws cash before paying
CASH_WITHDRAWAL = Decimal("100.00")
INSIGHT_DAY = 15  # an evening insight mid-month, and one this morning
INBOX_READ_DAYS_AGO = 6  # the person last read their inbox this many days ago

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
BANK, CARD, CASH, SAVINGS, EURO_CARD = "Main account", "Credit card", "Cash", "Savings", "Euro travel card"
ACCOUNTS = {
    # name: (kind, currency, opening balance)
    BANK: (Account.Kind.BANK, "USD", Decimal("2500.00")),
    CARD: (Account.Kind.CARD, "USD", Decimal("0.00")),
    CASH: (Account.Kind.CASH, "USD", Decimal("150.00")),
    SAVINGS: (Account.Kind.SAVINGS, "USD", Decimal("6000.00")),
    # A prepaid card in euros for this month's trip: it holds more than the trip costs.
    EURO_CARD: (Account.Kind.CARD, "EUR", Decimal("600.00")),
}


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


# --- The clock --------------------------------------------------------------------------------


@contextmanager
def demo_clock(moment: datetime) -> Iterator[None]:
    """Make `moment` the time it is, for everything that asks django.utils.timezone.now():
    budgetpay.periods.user_today (which the rules and selectors use for "today"), the
    auto_now_add stamps of the rows written, and read_at. The seeder runs alone in its
    process (a management command, or a test), so nothing else sees this clock."""
    with mock.patch.object(timezone, "now", lambda: moment):
        yield


# --- The plan: what happened, day by day ------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    day: date
    kind: str
    amount: Decimal
    account: str
    category: str | None
    description: str
    payee: str = ""
    transfer_account: str | None = None


@dataclass
class _Plan:
    """The ledger to write, in order, with each account's running balance so that the
    person pays the card and draws cash when a real person would."""

    today: date
    rows: list[_Row] = field(default_factory=list)
    balances: dict[str, Decimal] = field(default_factory=lambda: {name: spec[2] for name, spec in ACCOUNTS.items()})

    def add(self, row: _Row) -> None:
        """Record `row`, unless it falls after today."""
        if row.day > self.today:
            return
        if (
            row.account == CASH
            and row.kind == Transaction.Kind.EXPENSE
            and self.balances[CASH] - row.amount < CASH_FLOOR
        ):
            self.transfer(row.day, CASH_WITHDRAWAL, BANK, CASH, "Cash withdrawal")
        self.rows.append(row)
        sign = Decimal(1) if row.kind == Transaction.Kind.INCOME else Decimal(-1)
        self.balances[row.account] += sign * row.amount
        if row.transfer_account is not None:
            self.balances[row.transfer_account] += row.amount

    def expense(
        self, day: date, amount: Decimal, account: str, category: str | None, description: str, payee: str = ""
    ):
        self.add(_Row(day, Transaction.Kind.EXPENSE, amount, account, category, description, payee))

    def transfer(self, day: date, amount: Decimal, source: str, target: str, description: str) -> None:
        self.add(_Row(day, Transaction.Kind.TRANSFER, amount, source, None, description, transfer_account=target))

    def spent(self, category: str, since: date) -> Decimal:
        """Spending in `category` from `since` on, in dollars, as a budget counts it."""
        return sum(
            (
                row.amount
                for row in self.rows
                if row.kind == Transaction.Kind.EXPENSE
                and row.category == category
                and row.day >= since
                and ACCOUNTS[row.account][1] == "USD"
            ),
            Decimal("0.00"),
        )


def _history(plan: _Plan, rng: random.Random) -> None:
    start = plan.today - timedelta(days=HISTORY_DAYS)
    statement = Decimal("0.00")
    for offset in range(HISTORY_DAYS + 1):
        day = start + timedelta(days=offset)
        if day.day == 1:
            statement = -plan.balances[CARD]  # what last month's card spending came to
            plan.add(_Row(day, Transaction.Kind.INCOME, Decimal("4200.00"), BANK, "Salary", "Salary", "Acme Ltd"))
            plan.expense(day, Decimal("1450.00"), BANK, "Housing", "Rent", "City Lettings")
            plan.expense(day, _money(rng, 70, 110), BANK, "Food", "Monthly shop", "Tesco")
            plan.expense(day, _money(rng, 90, 180), CARD, "Shopping", "Clothes", "Uniqlo")
        if day.day == 2:
            plan.transfer(day, Decimal("400.00"), BANK, SAVINGS, "To savings")
        if day.day == CARD_PAYMENT_DAY and statement > 0:
            plan.transfer(day, statement, BANK, CARD, "Credit card payment")
        if day.day == 5:
            plan.expense(day, _money(rng, 60, 110), BANK, "Utilities", "Electricity", "Octopus")
        if day.day == 12:
            plan.expense(day, Decimal("45.00"), BANK, "Utilities", "Broadband", "BT")
        if day.weekday() == 0:
            plan.expense(day, Decimal("25.00"), CARD, "Transport", "Weekly travel pass", "TfL")
        if day.weekday() == 5:
            plan.expense(day, _money(rng, 60, 120), CARD, "Food", "Groceries", "Sainsbury's")
        if rng.random() < 0.35:
            plan.expense(day, _money(rng, 12, 45), CARD, "Dining", "Dinner out", "Local bistro")
        if rng.random() < 0.1:
            plan.expense(day, _money(rng, 20, 150), CARD, "Shopping", "Online order", "Amazon")
        if rng.random() < 0.05:
            plan.expense(day, _money(rng, 10, 30), CASH, None, "Market stall")
        if rng.random() < 0.08:
            plan.expense(day, _money(rng, 12, 35), CASH, "Transport", "Taxi")


def _euro_trip(plan: _Plan, rng: random.Random) -> None:
    month_start = plan.today.replace(day=1)
    for offset, description in ((0, "Hotel deposit"), (1, "Train ticket"), (3, "Museum")):
        day = min(month_start + timedelta(days=offset), plan.today)
        plan.expense(day, _money(rng, 20, 180), EURO_CARD, "Travel", description)


# --- The writes, each at its moment -----------------------------------------------------------


class _Timeline:
    """The writes in the order they happened. Moments later than the real now (what is planned
    for later today) are brought back to it, so nothing is dated in the future."""

    def __init__(self, user: User, today: date) -> None:
        self.user = user
        self.today = today
        self.zone = ZoneInfo(user.timezone)
        self.steps: list[tuple[datetime, int, Callable[[], object]]] = []

    def at(self, day: date, clock: time, write: Callable[[], object], *, minutes: int = 0) -> None:
        moment = datetime.combine(day, clock, tzinfo=self.zone) + timedelta(minutes=minutes)
        self.steps.append((moment, len(self.steps), write))

    def run(self) -> None:
        latest = timezone.now() - timedelta(seconds=1)
        dated = 0  # the id of the last notification given its moment
        for moment, _, write in sorted(self.steps, key=lambda step: step[:2]):
            moment = min(moment, latest)
            with demo_clock(moment):
                write()
            # Notification.created_at's default is the real clock's function, taken when the
            # model was defined: date what this step notified at its moment.
            if Notification.objects.filter(user=self.user, pk__gt=dated).update(created_at=moment):
                dated = Notification.objects.filter(user=self.user).latest("pk").pk


def _reset_user(*, joined: datetime) -> User:
    """A fresh demo user: any earlier one goes, with everything it owns."""
    existing = User.objects.filter(email__iexact=DEMO_EMAIL).first()
    if existing is not None:
        # In one deletion, so the receivers see rows going with their owner and judge nothing.
        existing.delete()
    user = User.objects.create_user(
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        full_name="Demo User",
        currency="USD",
        timezone=DEMO_TIMEZONE,
        monthly_income=Decimal("4200.00"),
        date_joined=joined,
    )
    EmailAddress.objects.create(user=user, email=DEMO_EMAIL, primary=True, verified=True)
    return user


def _categories(user: User) -> dict[str, Category]:
    """The demo categories, reusing any a new user already received by default."""
    categories = {}
    for kind, names in ((Category.Kind.EXPENSE, EXPENSE_CATEGORIES), (Category.Kind.INCOME, INCOME_CATEGORIES)):
        for name, color in names.items():
            category = Category.objects.filter(user=user, kind=kind, name__iexact=name).first()
            categories[name] = category or category_create(user=user, name=name, kind=kind, color=color)
    return categories


def _accounts(user: User) -> dict[str, Account]:
    accounts = {}
    for name, (kind, currency, opening_balance) in ACCOUNTS.items():
        existing = Account.objects.filter(user=user, name__iexact=name).first()
        fields = {"kind": kind, "currency": currency, "opening_balance": opening_balance}
        accounts[name] = (
            account_update(account=existing, **fields) if existing else account_create(user=user, name=name, **fields)
        )
    return accounts


def _budgets(timeline: _Timeline, plan: _Plan, categories: dict[str, Category]) -> None:
    """All spending since three months back and a weekly dining budget that rolls over, set
    weeks ago; this month the person added Groceries and Shopping, sized so that Food ends
    at about 85 % and Shopping over its limit."""
    user, today = timeline.user, plan.today
    month_start = period_containing("month", today).start
    three_months_back = (month_start - timedelta(days=85)).replace(day=1)
    eight_weeks_back = period_containing("week", today - timedelta(weeks=8)).start

    def dollars(value: Decimal) -> Decimal:
        return max(value.quantize(Decimal("1"), ROUND_HALF_UP), Decimal("1"))

    specs = [
        (three_months_back, {"name": "Everything", "amount": Decimal("3600.00")}),
        (
            eight_weeks_back,
            {
                "name": "Eating out",
                "category": categories["Dining"],
                "amount": Decimal("70.00"),
                "period": Budget.Period.WEEKLY,
                "rollover": True,
            },
        ),
        (
            month_start,
            {
                "name": "Groceries",
                "category": categories["Food"],
                "amount": dollars(plan.spent("Food", month_start) / Decimal("0.85")),
            },
        ),
        (
            month_start,
            {
                "name": "Shopping",
                "category": categories["Shopping"],
                "amount": dollars(plan.spent("Shopping", month_start) * Decimal("0.8")),
            },
        ),
    ]
    for start, fields in specs:
        timeline.at(
            start, time(7), lambda start=start, fields=fields: budget_create(user=user, start_date=start, **fields)
        )


def _goals(timeline: _Timeline, savings: Account) -> None:
    """One goal achieved (with a withdrawal and a top-up since), one on track and one behind
    its straight line; each contribution reached through the goal service."""
    user, today = timeline.user, timeline.today
    specs = [
        # name, target, target date, created days ago, entries as (days ago, amount, kind, note)
        (
            "Emergency fund",
            "6000.00",
            None,
            170,
            [
                (170, "1500"),
                (140, "1500"),
                (110, "1500"),
                (60, "1500"),
                (30, "150", "withdrawal", "Boiler repair"),
                (10, "150", "contribution", "Top-up"),
            ],
        ),
        ("Summer holiday", "3000.00", today + timedelta(days=120), 90, [(85, "600"), (55, "500"), (20, "500")]),
        ("New laptop", "2400.00", today + timedelta(days=45), 120, [(110, "300"), (40, "300")]),
    ]
    for name, target, target_date, created_days_ago, entries in specs:
        goal: dict[str, Goal] = {}

        def create(name=name, target=target, target_date=target_date, goal=goal) -> None:
            goal["row"] = goal_create(
                user=user, name=name, target_amount=Decimal(target), target_date=target_date, account=savings
            )

        timeline.at(today - timedelta(days=created_days_ago), time(12), create)
        for days_ago, amount, *rest in entries:
            kind, note = rest or (GoalEntry.Kind.CONTRIBUTION, "Monthly saving")
            day = today - timedelta(days=days_ago)

            def contribute(goal=goal, amount=amount, kind=kind, day=day, note=note) -> None:
                goal_entry_create(goal=goal["row"], amount=Decimal(amount), kind=kind, date=day, note=note)

            timeline.at(day, time(18), contribute)


def _transactions(timeline: _Timeline, plan: _Plan, accounts: dict[str, Account], categories: dict[str, Category]):
    user, per_day = timeline.user, {}
    for row in plan.rows:
        order = per_day[row.day] = per_day.get(row.day, -1) + 1

        def record(row=row) -> None:
            transaction_create(
                user=user,
                account=accounts[row.account],
                amount=row.amount,
                kind=row.kind,
                date=row.day,
                category=categories[row.category] if row.category else None,
                transfer_account=accounts[row.transfer_account] if row.transfer_account else None,
                description=row.description,
                payee=row.payee,
            )

        timeline.at(row.day, time(8), record, minutes=40 * order)


def _daily_insight(*, user: User) -> Notification | None:
    """The insight `send_daily_insights` would send now, written by the rules from the same
    context a model would get (the demo needs no AI key and spends nobody's AI quota),
    under the daily insight's key, so the cron job sends no second one today."""
    today = user_today(user)
    context = financial_context(user=user, today=today)
    insight_type = choose_insight_type(context)
    return insight_notify(
        user=user,
        insight_type=insight_type,
        insight=rules_insight(insight_type, context),
        dedupe_key=f"daily-insight:{today.isoformat()}",
        requested=False,
    )


def _inbox(timeline: _Timeline) -> None:
    """Insights on the evening of each month's INSIGHT_DAY and this morning; the person read
    everything INBOX_READ_DAYS_AGO days ago, so what came since is unread."""
    user, today = timeline.user, timeline.today
    day = today - timedelta(days=HISTORY_DAYS)
    while day < today:
        if day.day == INSIGHT_DAY:
            timeline.at(day, time(19), lambda: _daily_insight(user=user))
        day += timedelta(days=1)
    timeline.at(today - timedelta(days=INBOX_READ_DAYS_AGO), time(21), lambda: notification_mark_all_read(user=user))
    timeline.at(today, time(7, 30), lambda: _daily_insight(user=user))


@transaction.atomic
def demo_seed() -> User:
    """Create the demo user, or replace an earlier one, with a ledger ending today in its timezone."""
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = timezone.now().astimezone(zone).date()
    first_day = today - timedelta(days=HISTORY_DAYS)
    joined = datetime.combine(first_day, time(7), tzinfo=zone)
    with demo_clock(joined):
        user = _reset_user(joined=joined)
        accounts, categories = _accounts(user), _categories(user)
    plan = _Plan(today=today)
    rng = random.Random(SEED)
    _history(plan, rng)
    _euro_trip(plan, rng)

    timeline = _Timeline(user, today)
    _budgets(timeline, plan, categories)
    _goals(timeline, accounts[SAVINGS])
    _transactions(timeline, plan, accounts, categories)
    _inbox(timeline)
    timeline.run()
    return user
