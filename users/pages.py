"""The signed-in pages not yet moved into their apps: dashboard, budgets, goals,
notifications, the assistant and the account's API access.

Each view parses a form, calls one service (the only writers) or selectors, and
renders. Objects are looked up through the owner's selector, so another person's id
answers 404; CSRF is checked by Django's middleware on every POST.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgetpay import ai_limit, llm
from budgetpay.charts import daily_spending_line, spending_donut
from budgetpay.formatting import format_money
from budgetpay.pages import delete_page as _delete_page
from budgetpay.pages import form_data as _data
from budgetpay.pages import form_page as _form_page
from budgetpay.pages import next_url
from budgetpay.periods import period_containing, user_today
from budgetpay.validators import validate_user_date
from budgets import services as budget_services
from budgets.reports import report_summary
from budgets.selectors import Health, budget_list, budget_statuses
from chatbot import selectors as chat_selectors
from chatbot import services as chat_services
from chatbot.chat import chat_send
from goals.selectors import goal_list, goal_progress
from notifications import services as notification_services
from notifications.models import Notification
from notifications.selectors import notifications_for, preferences_for
from notifications.templatetags.notification_tags import bell_for
from transactions.models import Transaction
from transactions.pages import transaction_form as _transaction_form
from transactions.pages import transaction_save as _save_transaction
from transactions.pages import transaction_saved_message as _saved_message
from transactions.selectors import category_list, transaction_list
from users import services as user_services
from users.forms import (
    BudgetForm,
    ChatForm,
    NotificationPreferencesForm,
)
from users.selectors import active_refresh_tokens

RECENT_TRANSACTIONS = 6
DASHBOARD_GOALS = 4
NOTIFICATIONS_PER_PAGE = 20
CHAT_CONVERSATIONS = 30
HEALTH_ORDER = {Health.OVER: 0, Health.WARNING: 1, Health.OK: 2}


# --- Dashboard ---------------------------------------------------------------------------


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
    form = _transaction_form(request, initial={"kind": Transaction.Kind.EXPENSE}, prefix="quick", allow_transfer=False)
    if request.method == "POST" and form.is_valid():
        tx = _save_transaction(form)
        if tx is not None:
            messages.success(request, _saved_message(tx))
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
        "pages/dashboard.html",
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


def _budget_form(request: HttpRequest, **kwargs) -> BudgetForm:
    return BudgetForm(
        _data(request), categories=list(category_list(user=request.user)), **kwargs
    )


@login_required
@require_GET
def budget_list_page(request: HttpRequest) -> HttpResponse:
    today = user_today(request.user)
    statuses = budget_statuses(user=request.user, on=today)
    started = {status.budget.pk for status in statuses}
    upcoming = [budget for budget in budget_list(user=request.user) if budget.pk not in started]
    return render(request, "pages/budgets.html", {"statuses": statuses, "upcoming": upcoming})


@login_required
@require_http_methods(["GET", "POST"])
def budget_create_page(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request, _budget_form(request), template="pages/budget_form.html", done="budgets",
        save=lambda data: budget_services.budget_create(user=request.user, **data),
        message=lambda budget: (
            f"Budget “{budget}” created: {format_money(budget.amount, request.user.currency)} "
            f"{budget.get_period_display().lower()}."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_object_or_404(budget_list(user=request.user), pk=pk)
    return _form_page(
        request, _budget_form(request, initial=BudgetForm.initial_from(budget)), template="pages/budget_form.html",
        done="budgets", budget=budget,
        save=lambda data: budget_services.budget_update(budget=budget, **data),
        message=lambda saved: f"Budget “{saved}” saved.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_object_or_404(budget_list(user=request.user), pk=pk)
    return _delete_page(
        request, budget, what="budget", done="budgets", delete=lambda obj: budget_services.budget_delete(budget=obj)
    )


# --- Notifications -----------------------------------------------------------------------


@login_required
@require_GET
def notification_list_page(request: HttpRequest) -> HttpResponse:
    notifications = notifications_for(user=request.user).order_by("-id")
    unread_only = request.GET.get("show") == "unread"
    if unread_only:
        notifications = notifications.filter(is_read=False)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "pages/notifications.html", {"page": page, "unread_only": unread_only})


@login_required
@require_GET
@never_cache
def notification_panel(request: HttpRequest) -> HttpResponse:
    """The bell's list, re-fetched by the page when the socket says something changed."""
    back = next_url(request, reverse("notifications"))
    return render(request, "includes/notification_panel.html", {"bell": bell_for(request.user), "next_url": back})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(notifications_for(user=request.user), pk=pk)
    notification_services.notification_mark_read(notification=notification)
    return HttpResponseRedirect(next_url(request, reverse("notifications")))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = notification_services.notification_mark_all_read(user=request.user)
    if marked:
        messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked as read.")
    return HttpResponseRedirect(next_url(request, reverse("notifications")))


# --- Account -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences_page(request: HttpRequest) -> HttpResponse:
    preferences = preferences_for(user=request.user)
    form = NotificationPreferencesForm(_data(request), preferences=preferences)
    if request.method == "POST" and form.is_valid():
        notification_services.preferences_update(user=request.user, changes=form.changes(preferences))
        messages.success(request, "Your notification choices were saved.")
        return redirect("page-notification-preferences")
    types = {value: label for value, label in Notification.Type.choices}
    return render(request, "users/notification_preferences.html", {"form": form, "types": types})


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def api_access_page(request: HttpRequest) -> HttpResponse:
    """Create a JWT pair for a script (shown once, never stored in the page's session),
    or revoke every refresh token the person holds."""
    tokens = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            tokens = user_services.tokens_for_user(user=request.user)
        elif action == "revoke":
            revoked = user_services.user_revoke_refresh_tokens(user=request.user)
            messages.success(
                request,
                f"Revoked {revoked} refresh token{'s' if revoked != 1 else ''}. Scripts and apps must sign in again.",
            )
            return redirect("api-access")
        else:
            messages.error(request, "Choose to create a token or to revoke them.")
            return redirect("api-access")
    active = list(active_refresh_tokens(user=request.user)[:20])
    return render(request, "users/api_access.html", {"tokens": tokens, "active": active})


# --- Assistant ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def chat_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The assistant. With JavaScript the page talks to the chatbot's REST API; this view
    renders the conversation and, without JavaScript, sends the message itself. A message
    sent here counts in the same per-minute AI bucket as the API's and the socket's; past
    it, or past the daily limit, the form says so with a 429 and Retry-After."""
    conversations = list(chat_selectors.conversation_list(user=request.user)[:CHAT_CONVERSATIONS])
    conversation = None
    if pk is not None:
        conversation = get_object_or_404(chat_selectors.conversation_detail_list(user=request.user), pk=pk)
    form = ChatForm(_data(request))
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            ai_limit.rate_take(user=request.user)
            result = chat_send(user=request.user, conversation=conversation, content=form.cleaned_data["content"])
        except (ai_limit.RateLimited, llm.DailyLimitReached) as exc:
            form.add_error("content", str(exc))
            retry_after = exc.retry_after
        else:
            return redirect("chat-conversation", pk=result.conversation.pk)
    shown = [message for message in conversation.messages.all() if message.role != "tool" and message.content] if conversation else []
    response = render(
        request,
        "pages/chat.html",
        {"form": form, "conversation": conversation, "conversations": conversations, "chat_messages": shown},
        status=429 if retry_after else 200,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@require_POST
def chat_action_page(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Confirm or cancel a change the assistant proposed (the no-JavaScript path)."""
    proposed = get_object_or_404(chat_selectors.action_list(user=request.user), pk=pk)
    try:
        if decision == "confirm":
            chat_services.action_confirm(action=proposed)
            messages.success(request, f"Done: {proposed.summary}")
        else:
            chat_services.action_cancel(action=proposed)
            messages.info(request, "Cancelled; nothing was changed.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("chat-conversation", pk=proposed.conversation_id)
