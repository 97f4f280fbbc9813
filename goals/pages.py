"""The goals' pages: the list with each goal's progress, a goal's form, and money put into
or taken out of a goal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from budgetpay.formatting import format_money
from budgetpay.forms import add_service_errors
from budgetpay.pages import delete_page, form_data, form_page
from budgetpay.periods import user_today
from goals import services as goal_services
from goals.forms import GoalEntryForm, GoalForm
from goals.selectors import goal_list, goal_progress


@login_required
@require_GET
def goal_list_page(request: HttpRequest) -> HttpResponse:
    today = user_today(request.user)
    goals = [(goal, goal_progress(goal=goal, today=today)) for goal in goal_list(user=request.user)]
    return render(request, "goals/goals.html", {"goals": goals})


@login_required
@require_http_methods(["GET", "POST"])
def goal_create_page(request: HttpRequest) -> HttpResponse:
    return form_page(
        request, GoalForm(form_data(request), today=user_today(request.user)), template="goals/goal_form.html",
        done="goals:list",
        save=lambda data: goal_services.goal_create(user=request.user, **data),
        message=lambda goal: f"Goal “{goal}” created. Add money to it whenever you put some aside.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(goal_list(user=request.user), pk=pk)
    initial = {"name": goal.name, "target_amount": goal.target_amount, "target_date": goal.target_date}
    return form_page(
        request, GoalForm(form_data(request), initial=initial, today=user_today(request.user)),
        template="goals/goal_form.html", done="goals:list", goal=goal,
        save=lambda data: goal_services.goal_update(goal=goal, **data),
        message=lambda saved: f"Goal “{saved}” saved.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(goal_list(user=request.user), pk=pk)
    return delete_page(
        request, goal, what="goal", done="goals:list", delete=lambda obj: goal_services.goal_delete(goal=obj)
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(goal_list(user=request.user), pk=pk)
    today = user_today(request.user)
    form = GoalEntryForm(form_data(request), today=today)
    if request.method == "POST" and form.is_valid():
        try:
            entry = goal_services.goal_entry_create(goal=goal, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            verb = "added to" if entry.kind == "contribution" else "taken out of"
            messages.success(request, f"{format_money(entry.amount, request.user.currency)} {verb} “{goal}”.")
            return redirect("goals:list")
    progress = goal_progress(goal=goal, today=today)
    return render(request, "goals/goal_entry_form.html", {"form": form, "goal": goal, "progress": progress})
