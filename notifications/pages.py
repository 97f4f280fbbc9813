"""The notifications' pages: the list, the bell's panel (re-fetched when the socket says
something changed), marking read, and the choice of what a person is told about."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgetpay.pages import form_data, next_url
from notifications import services as notification_services
from notifications.forms import NotificationPreferencesForm
from notifications.models import Notification
from notifications.selectors import notifications_for, preferences_for
from notifications.templatetags.notification_tags import bell_for

NOTIFICATIONS_PER_PAGE = 20


@login_required
@require_GET
def notification_list_page(request: HttpRequest) -> HttpResponse:
    notifications = notifications_for(user=request.user).order_by("-id")
    unread_only = request.GET.get("show") == "unread"
    if unread_only:
        notifications = notifications.filter(is_read=False)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/notifications.html", {"page": page, "unread_only": unread_only})


@login_required
@require_GET
@never_cache
def notification_panel(request: HttpRequest) -> HttpResponse:
    """The bell's list, re-fetched by the page when the socket says something changed."""
    back = next_url(request, reverse("notifications:list"))
    return render(
        request, "notifications/includes/notification_panel.html", {"bell": bell_for(request.user), "next_url": back}
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(notifications_for(user=request.user), pk=pk)
    notification_services.notification_mark_read(notification=notification)
    return HttpResponseRedirect(next_url(request, reverse("notifications:list")))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = notification_services.notification_mark_all_read(user=request.user)
    if marked:
        messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked as read.")
    return HttpResponseRedirect(next_url(request, reverse("notifications:list")))


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences_page(request: HttpRequest) -> HttpResponse:
    """One of the account pages (it shares their layout, users/account_layout.html)."""
    preferences = preferences_for(user=request.user)
    form = NotificationPreferencesForm(form_data(request), preferences=preferences)
    if request.method == "POST" and form.is_valid():
        notification_services.preferences_update(user=request.user, changes=form.changes(preferences))
        messages.success(request, "Your notification choices were saved.")
        return redirect("notifications:preferences")
    types = dict(Notification.Type.choices)
    return render(request, "notifications/notification_preferences.html", {"form": form, "types": types})
