"""The assistant's tools over plans: budgets and saving goals, and the month's overview."""

from typing import Any

from budgets.selectors import budget_statuses
from chatbot.context import financial_context
from chatbot.tools.base import Turn, clip, money_text
from goals.selectors import goal_list, goal_progress


def budget_status(turn: Turn, *, name: str | None = None) -> dict[str, Any]:
    """Each budget's money available, spent and left in its current period."""
    statuses = budget_statuses(user=turn.user, on=turn.today)
    if name:
        wanted = name.strip().lower()
        statuses = [status for status in statuses if str(status.budget).lower() == wanted]
    return {
        "today": turn.today.isoformat(),
        "currency": turn.user.currency,
        "budgets": [
            {
                "name": clip(str(status.budget)),
                "category": status.budget.category.name if status.budget.category else None,
                "period": status.budget.period,
                "period_start": status.period.start.isoformat(),
                "period_end": status.period.end.isoformat(),
                "available": money_text(status.available),
                "spent": money_text(status.spent),
                "remaining": money_text(status.remaining),
                "percent_used": None if status.percent_used is None else str(status.percent_used),
                "days_left": status.days_left,
                "daily_allowance": money_text(status.daily_allowance),
                "pace": status.pace,
            }
            for status in statuses
        ],
    }


def goal_status(turn: Turn, *, name: str | None = None) -> dict[str, Any]:
    """Each saving goal's target, amount saved and what is still needed."""
    goals = goal_list(user=turn.user)
    if name:
        goals = goals.filter(name__iexact=name.strip())
    result = []
    for goal in goals:
        progress = goal_progress(goal=goal, today=turn.today)
        per_month = progress.required_per_month
        result.append(
            {
                "name": clip(goal.name),
                "target": money_text(goal.target_amount),
                "target_date": goal.target_date.isoformat() if goal.target_date else None,
                "saved": money_text(progress.saved),
                "percent": str(progress.percent),
                "remaining": money_text(progress.remaining),
                "status": progress.status,
                "required_per_month": None if per_month is None else money_text(per_month),
            }
        )
    return {"today": turn.today.isoformat(), "currency": turn.user.currency, "goals": result}


def financial_overview(turn: Turn) -> dict[str, Any]:
    """This month's totals, top categories, budgets and goals, as aggregates."""
    return financial_context(user=turn.user, today=turn.today)
