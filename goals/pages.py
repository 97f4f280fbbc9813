"""The goals' pages: the list with each goal's progress, a goal's form, and money put into
or taken out of a goal."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from budgetpay.formatting import format_money
from budgetpay.pages import RowPages, form_data, form_page
from budgetpay.periods import user_today
from goals import services as goal_services
from goals.forms import GoalEntryForm, GoalForm
from goals.models import Goal, GoalEntry
from goals.selectors import goal_list, goal_progress


@login_required
@require_GET
def goal_list_page(request: HttpRequest) -> HttpResponse:
    today = user_today(request.user)
    goals = [(goal, goal_progress(goal=goal, today=today)) for goal in goal_list(user=request.user)]
    return render(request, "goals/goals.html", {"goals": goals})


def _goal_form(request: HttpRequest, goal: Goal | None) -> GoalForm:
    initial = GoalForm.initial_from(goal) if goal else None
    return GoalForm(form_data(request), initial=initial, today=user_today(request.user))


def _goal_created(goal: Goal) -> str:
    return f"Goal “{goal}” created. Add money to it whenever you put some aside."


GOAL_PAGES = RowPages(Goal, goal_services, rows=goal_list, form=_goal_form, done="goals:list", created=_goal_created)


@login_required
@require_http_methods(["GET", "POST"])
def goal_entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(goal_list(user=request.user), pk=pk)
    today = user_today(request.user)

    def entry_message(entry: GoalEntry) -> str:
        verb = "added to" if entry.kind == GoalEntry.Kind.CONTRIBUTION else "taken out of"
        return f"{format_money(entry.amount, request.user.currency)} {verb} “{goal}”."

    return form_page(
        request,
        GoalEntryForm(form_data(request), today=today),
        save=lambda fields: goal_services.goal_entry_create(goal=goal, **fields),
        done="goals:list",
        message=entry_message,
        template="goals/goal_entry_form.html",
        goal=goal,
        progress=goal_progress(goal=goal, today=today),
    )
