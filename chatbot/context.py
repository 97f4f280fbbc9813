"""The user's financial situation as the AI sees it: built on the server from the
ledger only (never from numbers a client sends), in the user's timezone and
currency, as aggregates. No email, name or other identifier goes in."""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from budgetpay.periods import user_today
from budgets.reports import report_summary
from budgets.selectors import budget_statuses
from goals.selectors import goal_list, goal_progress
from transactions.models import Transaction

RECENT_DAYS = 7


def _money(value) -> str:
    return f"{value:.2f}"


def financial_context(*, user, today: date | None = None) -> dict[str, Any]:
    today = today or user_today(user)
    month = report_summary(user=user, period="month", on=today)
    days_left = (month.period.end - today).days + 1
    spending = month.totals.spending
    last_activity = (
        Transaction.objects.filter(user=user)
        .exclude(kind=Transaction.Kind.TRANSFER)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    recent = Transaction.objects.filter(
        user=user, date__gt=today - timedelta(days=RECENT_DAYS), date__lte=today
    ).exclude(kind=Transaction.Kind.TRANSFER)
    return {
        "today": today.isoformat(),
        "timezone": user.timezone,
        "currency": user.currency,
        "monthly_income_planned": _money(user.monthly_income),
        "month": {
            "start": month.period.start.isoformat(),
            "end": month.period.end.isoformat(),
            "days_elapsed": (today - month.period.start).days + 1,
            "days_left": days_left,
            "income": _money(month.totals.income),
            "spending": _money(spending),
            "net": _money(month.totals.income - spending),
            # The same days of the previous month (budgets.reports.same_days_before), not all of it.
            "previous_month_same_days_spending": _money(month.previous.totals.spending),
            "spending_change_percent": str(month.previous.spending_change)
            if month.previous.spending_change is not None
            else None,
        },
        "top_categories": [
            {
                "name": line.name,
                "spent": _money(line.spending),
                "share_percent": str(line.share) if line.share is not None else None,
            }
            for line in month.top_categories
        ],
        "budgets": [
            {
                "name": str(status.budget),
                "period": status.budget.period,
                "available": _money(status.available),
                "spent": _money(status.spent),
                "remaining": _money(status.remaining),
                "percent_used": str(status.percent_used) if status.percent_used is not None else None,
                "days_left": status.days_left,
                "pace": status.pace,
                # None in a period's first days: too early to project (budgets.selectors).
                "projected_spend": _money(status.projected_spent) if status.projected_spent is not None else None,
            }
            for status in budget_statuses(user=user, on=today)
        ],
        "goals": [
            {
                "name": goal.name,
                "target": _money(goal.target_amount),
                "target_date": goal.target_date.isoformat() if goal.target_date else None,
                "saved": _money(progress.saved),
                "percent": str(progress.percent),
                "status": progress.status,
                "required_per_month": _money(progress.required_per_month)
                if progress.required_per_month is not None
                else None,
            }
            for goal in goal_list(user=user)
            for progress in [goal_progress(goal=goal, today=today)]
        ],
        "recent_activity": {
            "days": RECENT_DAYS,
            "transactions": recent.count(),
            "hours_since_last_entry": (
                round((timezone.now() - last_activity).total_seconds() / 3600, 1) if last_activity else None
            ),
        },
        "other_currencies": [
            {"currency": line.currency, "income": _money(line.totals.income), "spending": _money(line.totals.spending)}
            for line in month.other_currencies
        ],
    }
