"""The budgets' pages and the dashboard, which shows the month's reports: spending by
category and by day, each budget's health, the goals and the latest transactions, with
the quick-add expense form (the ledger's add page's form, transactions.pages)."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from budgetpay.charts import daily_spending_line, spending_donut
from budgetpay.formatting import format_money
from budgetpay.pages import RowPages, form_data
from budgetpay.periods import period_containing, user_today
from budgetpay.validators import validate_user_date
from budgets import services as budget_services
from budgets.forms import BudgetForm
from budgets.models import Budget
from budgets.reports import report_summary
from budgets.selectors import Health, budget_list, budget_statuses
from goals.selectors import goal_list, goal_progress
from transactions.models import Transaction
from transactions.pages import TRANSACTION_PAGES, transaction_form
from transactions.selectors import category_list, transaction_list

RECENT_TRANSACTIONS = 6
DASHBOARD_GOALS = 4
HEALTH_ORDER = {Health.OVER: 0, Health.WARNING: 1, Health.OK: 2}


# --- Dashboard ---------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """The dashboard for a signed-in person, the front page for everyone else."""
    if request.user.is_authenticated:
        return dashboard(request)
    return render(request, "home.html")


def _month_shown(request: HttpRequest, today: date) -> date:
    """The day the dashboard reports on: today, or the last day of `?month=YYYY-MM` in the past
    (inside the window every date a person sends keeps to; anything else shows today)."""
    raw = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-"))
        first = date(year, month, 1)
        validate_user_date(first)
    except (ValueError, ValidationError):
        return today
    if first > today:
        return today
    end = period_containing("month", first).end
    return min(end, today)


def _budget_overview(summary, statuses) -> dict | None:
    """The "left to spend" card: the all-spending monthly budget, else the monthly category budgets added up."""
    monthly = [status for status in statuses if status.budget.period == "monthly"]
    overall = summary.budget if summary.budget is not None and summary.budget.budget.period == "monthly" else None
    if overall is not None:
        available, spent = overall.available, overall.spent
    elif monthly:
        available = sum((status.available for status in monthly), Decimal("0"))
        spent = sum((status.spent for status in monthly if status.budget.category_id is not None), Decimal("0"))
    else:
        return None
    left = available - spent
    days_left = monthly[0].days_left if monthly else (overall.days_left if overall else 1)
    percent = (spent * 100 / available) if available > 0 else Decimal("100")
    health = Health.OVER if left < 0 else (Health.WARNING if percent >= 80 else Health.OK)
    return {
        "available": available,
        "spent": spent,
        "left": left,
        "percent": percent,
        "health": health,
        "per_day": max(left, Decimal("0")) / max(days_left, 1),
        "days_left": days_left,
    }


@login_required
@require_http_methods(["GET", "POST"])
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = user_today(user)
    form = transaction_form(request, initial={"kind": Transaction.Kind.EXPENSE}, prefix="quick", allow_transfer=False)
    if TRANSACTION_PAGES.added(request, form):
        return redirect("home")

    on = _month_shown(request, today)
    summary = report_summary(user=user, period="month", on=on)
    statuses = sorted(
        budget_statuses(user=user, on=on),
        key=lambda status: (HEALTH_ORDER[status.health], -(status.percent_used or 0), str(status.budget)),
    )
    goals = [(goal, goal_progress(goal=goal, today=today)) for goal in goal_list(user=user)[:DASHBOARD_GOALS]]
    month = summary.period
    previous_month = period_containing("month", month.start - timedelta(days=1)).start
    next_month = month.end + timedelta(days=1)
    return render(
        request,
        "budgets/dashboard.html",
        {
            "form": form,
            "today": today,
            "summary": summary,
            "is_current_month": today in month,
            "days_left": (month.end - today).days + 1 if today in month else 0,
            "previous_month": previous_month.strftime("%Y-%m"),
            "next_month": next_month.strftime("%Y-%m") if next_month <= today else None,
            "statuses": statuses,
            "overview": _budget_overview(summary, statuses),
            "goals": goals,
            "recent": transaction_list(user=user)[:RECENT_TRANSACTIONS],
            "donut": spending_donut(summary.by_category, currency=user.currency),
            "line": daily_spending_line(summary.days, currency=user.currency, until=today),
        },
    )


# --- Budgets -----------------------------------------------------------------------------


@login_required
@require_GET
def budget_list_page(request: HttpRequest) -> HttpResponse:
    today = user_today(request.user)
    statuses = budget_statuses(user=request.user, on=today)
    started = {status.budget.pk for status in statuses}
    upcoming = [budget for budget in budget_list(user=request.user) if budget.pk not in started]
    return render(request, "budgets/budgets.html", {"statuses": statuses, "upcoming": upcoming})


def _budget_form(request: HttpRequest, budget: Budget | None) -> BudgetForm:
    initial = BudgetForm.initial_from(budget) if budget else None
    return BudgetForm(form_data(request), categories=list(category_list(user=request.user)), initial=initial)


def _budget_created(budget: Budget) -> str:
    limit = format_money(budget.amount, budget.user.currency)
    return f"Budget “{budget}” created: {limit} {budget.get_period_display().lower()}."


BUDGET_PAGES = RowPages(
    Budget, budget_services, rows=budget_list, form=_budget_form, done="budgets:list", created=_budget_created
)
