"""The signed-in pages: dashboard, transactions, budgets, goals, notifications, account.

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
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgetpay import ai_limit
from budgetpay.periods import period_containing, user_today
from budgetpay.validators import validate_user_date
from budgets import services as budget_services
from budgets.reports import report_summary
from budgets.selectors import Health, budget_list, budget_statuses
from budgetpay import llm
from chatbot import selectors as chat_selectors
from chatbot import services as chat_services
from chatbot.chat import chat_send
from goals import services as goal_services
from goals.selectors import goal_list, goal_progress
from notifications import services as notification_services
from notifications.models import Notification
from notifications.selectors import notifications_for, preferences_for
from transactions import services as ledger
from transactions.models import Transaction
from transactions.selectors import account_list, category_list, transaction_list
from users import services as user_services
from budgetpay.charts import daily_spending_line, spending_donut
from budgetpay.formatting import format_money
from users.forms import (
    AccountForm,
    BudgetForm,
    CategoryForm,
    ChatForm,
    GoalEntryForm,
    GoalForm,
    ImportForm,
    NotificationPreferencesForm,
    TransactionForm,
    add_service_errors,
)
from users.selectors import active_refresh_tokens
from notifications.templatetags.notification_tags import bell_for

RECENT_TRANSACTIONS = 6
DASHBOARD_GOALS = 4
TRANSACTIONS_PER_PAGE = 25
NOTIFICATIONS_PER_PAGE = 20
CHAT_CONVERSATIONS = 30
HEALTH_ORDER = {Health.OVER: 0, Health.WARNING: 1, Health.OK: 2}


def next_url(request: HttpRequest, default: str) -> str:
    """The `next` field or parameter when it points back into this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure()):
        return candidate
    return default


def _data(request: HttpRequest):
    """A form's data: bound on every POST, even an empty one, so a submitted empty
    form shows its errors instead of coming back blank."""
    return request.POST if request.method == "POST" else None


def _form_page(request: HttpRequest, form, *, save, done: str, message, template: str, **context) -> HttpResponse:
    """Show `form`; on a valid POST call `save(cleaned_data)` (one service) and go to
    `done` saying `message(saved)`. A service's ValidationError lands next to its field."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, message(saved))
            return redirect(done)
    return render(request, template, {"form": form, **context})


def _delete_page(request: HttpRequest, obj, *, delete, what: str, done: str) -> HttpResponse:
    """Confirm, then delete through the service; a refusal it explains (ValidationError)
    goes back to the list as an error message and deletes nothing."""
    if request.method == "POST":
        try:
            delete(obj)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{what.capitalize()} “{obj}” deleted.")
        return redirect(done)
    return render(request, "pages/confirm_delete.html", {"object": obj, "what": what, "cancel": reverse(done)})


# --- Transactions ------------------------------------------------------------------------


def _transaction_form(
    request: HttpRequest,
    *,
    instance: Transaction | None = None,
    initial: dict | None = None,
    prefix: str | None = None,
    allow_transfer: bool = True,
) -> TransactionForm:
    """The form with the person's own categories and open accounts (plus the edited one's accounts)."""
    user = request.user
    kept = [pk for pk in (getattr(instance, "account_id", None), getattr(instance, "transfer_account_id", None)) if pk]
    accounts = list(account_list(user=user).filter(Q(is_archived=False) | Q(pk__in=kept)))
    return TransactionForm(
        _data(request),
        user=user,
        categories=list(category_list(user=user)),
        accounts=accounts,
        today=user_today(user),
        initial=TransactionForm.initial_from(instance) if instance else initial,
        prefix=prefix,
        allow_transfer=allow_transfer,
    )


def _save_transaction(form: TransactionForm, *, instance: Transaction | None = None) -> Transaction | None:
    """Create or update through the ledger's services; None (with the errors on the form) when refused."""
    names = ("kind", "amount", "category", "description", "date", "account", "transfer_account", "notes")
    fields = {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}
    try:
        if instance is None:
            return ledger.transaction_create(user=form.user, **fields)
        return ledger.transaction_update(transaction=instance, **fields)
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def _saved_message(tx: Transaction) -> str:
    if tx.kind == Transaction.Kind.TRANSFER:
        return (
            f"Transfer of {format_money(tx.amount, tx.account.currency)} saved "
            f"({tx.account.name} → {tx.transfer_account.name}, {tx.date:%-d %b})."
        )
    what = tx.category.name if tx.category else "uncategorised"
    verb = "Expense" if tx.kind == Transaction.Kind.EXPENSE else "Income"
    return f"{verb} of {format_money(tx.amount, tx.account.currency)} saved ({what}, {tx.date:%-d %b})."


@login_required
@require_GET
def transaction_list_page(request: HttpRequest) -> HttpResponse:
    transactions = transaction_list(user=request.user)
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    if query:
        transactions = transactions.filter(Q(description__icontains=query) | Q(payee__icontains=query) | Q(category__name__icontains=query))
    if kind in Transaction.Kind.values:
        transactions = transactions.filter(kind=kind)
    page = Paginator(transactions, TRANSACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "pages/transactions.html",
        {"page": page, "query": query, "kind": kind, "kinds": Transaction.Kind.choices, "filtered": bool(query or kind)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def transaction_create_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in Transaction.Kind.values else None
    form = _transaction_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        tx = _save_transaction(form)
        if tx is not None:
            messages.success(request, _saved_message(tx))
            return redirect(next_url(request, reverse("transactions")))
    return render(request, "pages/transaction_form.html", {"form": form, "next": next_url(request, "")})


@login_required
@require_http_methods(["GET", "POST"])
def transaction_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    tx = get_object_or_404(transaction_list(user=request.user), pk=pk)
    form = _transaction_form(request, instance=tx)
    if request.method == "POST" and form.is_valid():
        saved = _save_transaction(form, instance=tx)
        if saved is not None:
            messages.success(request, _saved_message(saved))
            return redirect("transactions")
    return render(request, "pages/transaction_form.html", {"form": form, "transaction": tx})


@login_required
@require_http_methods(["GET", "POST"])
def transaction_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    tx = get_object_or_404(transaction_list(user=request.user), pk=pk)
    if request.method == "POST":
        ledger.transaction_delete(transaction=tx)
        messages.success(request, "The transaction was deleted.")
        return redirect("transactions")
    return render(request, "pages/confirm_delete.html", {"object": tx, "what": "transaction", "cancel": reverse("transactions")})


# --- Accounts and categories -------------------------------------------------------------


@login_required
@require_GET
def account_list_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/accounts.html",
        {"accounts": account_list(user=request.user), "categories": category_list(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_create_page(request: HttpRequest) -> HttpResponse:
    form = AccountForm(_data(request), initial={"currency": request.user.currency})
    return _form_page(
        request, form, template="pages/account_form.html", done="accounts",
        save=lambda data: ledger.account_create(user=request.user, **data),
        message=lambda account: f"Account “{account}” created.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(account_list(user=request.user), pk=pk)
    form = AccountForm(_data(request), initial=AccountForm.initial_from(account))
    return _form_page(
        request, form, template="pages/account_form.html", done="accounts", account=account,
        save=lambda data: ledger.account_update(account=account, **data),
        message=lambda saved: f"Account “{saved}” saved.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(account_list(user=request.user), pk=pk)
    return _delete_page(
        request, account, what="account", done="accounts", delete=lambda obj: ledger.account_delete(account=obj)
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_create_page(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request, CategoryForm(_data(request)), template="pages/category_form.html", done="accounts",
        save=lambda data: ledger.category_create(user=request.user, **data),
        message=lambda category: f"Category “{category}” created.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(category_list(user=request.user), pk=pk)
    form = CategoryForm(_data(request), initial=CategoryForm.initial_from(category))
    return _form_page(
        request, form, template="pages/category_form.html", done="accounts", category=category,
        save=lambda data: ledger.category_update(category=category, **data),
        message=lambda saved: f"Category “{saved}” saved.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(category_list(user=request.user), pk=pk)
    return _delete_page(
        request, category, what="category", done="accounts", delete=lambda obj: ledger.category_delete(category=obj)
    )


IMPORT_ROWS_SHOWN = 50
IMPORT_LAYOUTS = {
    "signed_amount": "one signed amount column",
    "debit_credit": "money out and money in columns",
    "amount_and_kind": "an amount column and a debit/credit column",
}


@login_required
@require_http_methods(["GET", "POST"])
def transaction_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a statement; show what was imported (or, checking only, what would be),
    the duplicates skipped and each row that could not be read, by line number."""
    form = ImportForm(_data(request), request.FILES or None, accounts=list(account_list(user=request.user)))
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = ledger.transactions_import(user=request.user, **form.service_arguments())
        except ValidationError as error:
            if hasattr(error, "error_dict") and "mapping" in error.error_dict:
                # The service speaks to API clients ("send a mapping"); here the mapping is the form's fields.
                found = error.message_dict["mapping"][0].split(". Send a mapping")[0]
                error = ValidationError(f"{found}. Name them under “My bank names its columns differently”.")
            add_service_errors(form, error)
        else:
            if report.created:
                messages.success(request, f"{report.created} transaction{pluralize(report.created)} imported.")
    context = {"form": form, "report": report}
    if report is not None:
        context["rows_shown"] = report.rows[:IMPORT_ROWS_SHOWN]
        context["errors_shown"] = report.errors[:IMPORT_ROWS_SHOWN]
        context["layout"] = IMPORT_LAYOUTS.get(report.layout, report.layout)
    return render(request, "pages/transaction_import.html", context)


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


# --- Goals -------------------------------------------------------------------------------


@login_required
@require_GET
def goal_list_page(request: HttpRequest) -> HttpResponse:
    today = user_today(request.user)
    goals = [(goal, goal_progress(goal=goal, today=today)) for goal in goal_list(user=request.user)]
    return render(request, "pages/goals.html", {"goals": goals})


@login_required
@require_http_methods(["GET", "POST"])
def goal_create_page(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request, GoalForm(_data(request), today=user_today(request.user)), template="pages/goal_form.html",
        done="goals",
        save=lambda data: goal_services.goal_create(user=request.user, **data),
        message=lambda goal: f"Goal “{goal}” created. Add money to it whenever you put some aside.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(goal_list(user=request.user), pk=pk)
    initial = {"name": goal.name, "target_amount": goal.target_amount, "target_date": goal.target_date}
    return _form_page(
        request, GoalForm(_data(request), initial=initial, today=user_today(request.user)),
        template="pages/goal_form.html", done="goals", goal=goal,
        save=lambda data: goal_services.goal_update(goal=goal, **data),
        message=lambda saved: f"Goal “{saved}” saved.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(goal_list(user=request.user), pk=pk)
    return _delete_page(request, goal, what="goal", done="goals", delete=lambda obj: goal_services.goal_delete(goal=obj))


@login_required
@require_http_methods(["GET", "POST"])
def goal_entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(goal_list(user=request.user), pk=pk)
    today = user_today(request.user)
    form = GoalEntryForm(_data(request), today=today)
    if request.method == "POST" and form.is_valid():
        try:
            entry = goal_services.goal_entry_create(goal=goal, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            verb = "added to" if entry.kind == "contribution" else "taken out of"
            messages.success(request, f"{format_money(entry.amount, request.user.currency)} {verb} “{goal}”.")
            return redirect("goals")
    return render(
        request, "pages/goal_entry_form.html", {"form": form, "goal": goal, "progress": goal_progress(goal=goal, today=today)}
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
