"""Rules decide whether a change to the ledger deserves a notification.

Receivers (notifications/receivers.py) only forward saved rows here. Every rule
is idempotent: it passes a `dedupe_key` to `notify()`, so re-saving a row, or
evaluating the same state twice, never notifies twice. Rules run inside the
write's transaction, so a rolled-back write leaves no notification behind.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Avg, Count

from budgetpay.formatting import format_money
from budgetpay.periods import user_today
from budgets.selectors import BudgetStatus, budget_statuses
from goals.models import Goal
from goals.selectors import GoalStatus, goal_list, goal_progress
from notifications.models import Notification
from notifications.services import _lock_inbox, notify
from transactions.models import Transaction

GOAL_MILESTONES = (25, 50, 75)
# A large expense is this many times the user's average expense of the last
# USUAL_SPENDING_DAYS days, once they have at least USUAL_SPENDING_MIN_COUNT of them.
LARGE_EXPENSE_FACTOR = Decimal(3)
USUAL_SPENDING_DAYS = 90
USUAL_SPENDING_MIN_COUNT = 5
GOAL_DUE_SOON_DAYS = 14


def _money(amount: Decimal, currency: str, *, user) -> str:
    """Written in the person's locale when the notification is created: the text is stored
    and sent as it is (the data keeps plain amounts for clients that format their own)."""
    return format_money(amount, currency, user.locale)


def budget_thresholds(*, user, on: date) -> list[Notification]:
    """Notify each budget's highest newly crossed threshold in the current period.

    Only the period containing today (in the user's timezone) counts: a back-dated
    expense in a past period is history, not news. Each threshold of each budget
    notifies once per period; the next period starts afresh.

    The user's inbox lock (the one notify() takes) comes before the sums are read. Two
    writes racing each other (edits, imports, a budget change) each see their own change
    and not the other's until it commits: read before the lock, both sums can fall short
    of a threshold that the two together cross, and neither notifies. Under the lock the
    second write waits for the first to commit, and its sums, read after, include it.
    """
    today = user_today(user)
    sent = []
    with transaction.atomic(savepoint=False):  # the lock lasts while the sums are read
        _lock_inbox(user.pk)
        for status in budget_statuses(user=user, on=today):
            if on not in status.period or not status.thresholds_crossed:
                continue
            notification = _budget_threshold_notification(user, status, max(status.thresholds_crossed))
            if notification:
                sent.append(notification)
    return sent


def _budget_threshold_notification(user, status: BudgetStatus, threshold: int) -> Notification | None:
    budget = status.budget
    name = str(budget)
    exceeded = threshold >= 100
    money = partial(_money, currency=user.currency, user=user)
    spent, available = money(status.spent), money(status.available)
    if exceeded:
        title = f"{name} budget exceeded" if status.remaining < 0 else f"{name} budget used up"
        message = f"You have spent {spent} of {available} this period"
        message += f", {money(-status.remaining)} over." if status.remaining < 0 else "."
    else:
        title = f"{name} budget at {threshold} %"
        message = (
            f"You have spent {spent} of {available} ({status.percent_used} %), "
            f"with {status.days_left} day{'s' if status.days_left != 1 else ''} left: "
            f"{money(status.daily_allowance)} a day keeps you within it."
        )
    return notify(
        user=user,
        type=Notification.Type.BUDGET_EXCEEDED if exceeded else Notification.Type.BUDGET_THRESHOLD,
        level=Notification.Level.ALERT if exceeded else Notification.Level.WARNING,
        title=title,
        message=message,
        data={
            "budget_id": budget.id,
            "threshold": threshold,
            "percent_used": str(status.percent_used) if status.percent_used is not None else None,
            "spent": str(status.spent),
            "available": str(status.available),
            "period_start": status.period.start.isoformat(),
            "period_end": status.period.end.isoformat(),
            "currency": user.currency,
        },
        related=budget,
        dedupe_key=f"budget:{budget.id}:{status.period.start.isoformat()}:{threshold}",
    )


# The receipt of a new income or expense (a transfer has none): its type, how loud it is, its
# title and how the money moved.
RECEIPTS = {
    Transaction.Kind.INCOME: (
        Notification.Type.INCOME_RECEIVED,
        Notification.Level.SUCCESS,
        "Income received",
        "arrived in",
    ),
    Transaction.Kind.EXPENSE: (
        Notification.Type.EXPENSE_RECORDED,
        Notification.Level.INFO,
        "Expense recorded",
        "paid from",
    ),
}


def transaction_recorded(*, transaction: Transaction) -> None:
    """A new income or expense: receipts, large-expense alerts and budget thresholds."""
    if transaction.kind not in RECEIPTS:
        return
    notice_type, level, heading, moved = RECEIPTS[transaction.kind]
    currency = transaction.account.currency
    amount = _money(transaction.amount, currency, user=transaction.user)
    what = transaction.description or transaction.payee or (transaction.category.name if transaction.category else "")
    notify(
        user=transaction.user,
        type=notice_type,
        level=level,
        title=f"{heading}: {amount}",
        message=f"{amount} {moved} {transaction.account.name}" + (f" ({what})." if what else "."),
        data={"transaction_id": transaction.id, "amount": str(transaction.amount), "currency": currency},
        related=transaction,
        dedupe_key=f"{transaction.kind}:{transaction.id}",
    )
    if transaction.kind == Transaction.Kind.EXPENSE:
        large_expense(transaction=transaction)


def large_expense(*, transaction: Transaction) -> Notification | None:
    """Alert on an expense far above the user's own usual expense in that currency. A
    payment in a fixed category (rent: `Category.is_fixed`) is expected, not news."""
    if transaction.category is not None and transaction.category.is_fixed:
        return None
    usual = (
        Transaction.objects.filter(
            user=transaction.user,
            kind=Transaction.Kind.EXPENSE,
            account__currency=transaction.account.currency,
            date__gte=transaction.date - timedelta(days=USUAL_SPENDING_DAYS),
            date__lte=transaction.date,
        )
        .exclude(pk=transaction.pk)
        .aggregate(average=Avg("amount"), count=Count("id"))
    )
    if usual["count"] < USUAL_SPENDING_MIN_COUNT or transaction.amount < LARGE_EXPENSE_FACTOR * usual["average"]:
        return None
    currency = transaction.account.currency
    times = (transaction.amount / usual["average"]).quantize(Decimal("0.1"))
    return notify(
        user=transaction.user,
        type=Notification.Type.LARGE_EXPENSE,
        level=Notification.Level.WARNING,
        title=f"Large expense: {_money(transaction.amount, currency, user=transaction.user)}",
        message=(
            f"{transaction.description or 'This expense'} is {times}× your usual expense of "
            f"{_money(Decimal(usual['average']).quantize(Decimal('0.01')), currency, user=transaction.user)} over the last {USUAL_SPENDING_DAYS} days."
        ),
        data={
            "transaction_id": transaction.id,
            "amount": str(transaction.amount),
            "usual_amount": str(Decimal(usual["average"]).quantize(Decimal("0.01"))),
            "currency": currency,
        },
        related=transaction,
        dedupe_key=f"large_expense:{transaction.id}",
    )


# How loud each of a goal's notices is.
GOAL_LEVELS = {
    Notification.Type.GOAL_ACHIEVED: Notification.Level.SUCCESS,
    Notification.Type.GOAL_MILESTONE: Notification.Level.SUCCESS,
    Notification.Type.GOAL_BEHIND: Notification.Level.WARNING,
}


def goal_changed(*, goal: Goal) -> None:
    """Milestones 25/50/75 %, the goal achieved, or a goal due soon that is behind."""
    goal = goal_list(user=goal.user).get(pk=goal.pk)
    today = user_today(goal.user)
    progress = goal_progress(goal=goal, today=today)
    currency = goal.user.currency
    money = partial(_money, currency=currency, user=goal.user)
    data = {"goal_id": goal.id, "saved": str(progress.saved), "target": str(goal.target_amount), "currency": currency}

    def tell(notice_type: str, key: str, title: str, message: str, **facts) -> None:
        """Notify once per `key` of this goal; `facts` join the goal's data."""
        notify(
            user=goal.user,
            related=goal,
            type=notice_type,
            level=GOAL_LEVELS[notice_type],
            title=title,
            message=message,
            data={**data, **facts},
            dedupe_key=f"goal:{goal.id}:{key}",
        )

    if progress.status == GoalStatus.ACHIEVED:
        title = f"Goal achieved: {goal.name}"
        message = f"You saved {money(progress.saved)} of {money(goal.target_amount)}. Well done!"
        tell(Notification.Type.GOAL_ACHIEVED, "achieved", title, message, percent=100)
        return
    reached = [milestone for milestone in GOAL_MILESTONES if progress.percent >= milestone]
    if reached:
        milestone = reached[-1]
        title = f"{goal.name}: {milestone} % saved"
        message = f"{money(progress.saved)} saved, {money(progress.remaining)} to go."
        tell(Notification.Type.GOAL_MILESTONE, f"milestone:{milestone}", title, message, percent=milestone)
    if (
        progress.status == GoalStatus.BEHIND
        and goal.target_date is not None
        and today <= goal.target_date <= today + timedelta(days=GOAL_DUE_SOON_DAYS)
    ):
        due = goal.target_date.isoformat()
        message = (
            f"{money(progress.remaining)} is still missing with {progress.days_left} "
            f"day{'s' if progress.days_left != 1 else ''} left: about "
            f"{money(progress.required_per_week)} a week would close the gap."
        )
        title = f"{goal.name} is due {due} and behind"
        facts = {"target_date": due, "days_left": progress.days_left}
        tell(Notification.Type.GOAL_BEHIND, f"behind:{due}", title, message, **facts)


def refresh_token_reused(*, user, family: str) -> Notification | None:
    """Tell the person a used-up sign-in token came back, so that sign-in was ended.

    Someone presented a refresh token long after it had been exchanged: it was copied
    (a stolen phone backup, a leaked log). Every token of that sign-in is revoked; the
    person should sign in again and change the password if it was not them. Once per
    sign-in, whatever their preferences: it is about their account's safety.
    """
    # An announcement type of its own would need a notifications migration; ALERT marks it.
    return notify(
        user=user,
        type=Notification.Type.ANNOUNCEMENT,
        level=Notification.Level.ALERT,
        title="A sign-in was ended for your safety",
        message=(
            "An old sign-in token of your account was used again, which happens when it was copied. "
            "We signed that device out. If it was not you, change your password."
        ),
        data={"reason": "refresh_token_reused"},
        dedupe_key=f"refresh_token_reused:{family}",
        respect_preferences=False,
    )
