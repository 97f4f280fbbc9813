"""The notifications' pages: the list (each notification with how its pushes and webhooks
went), the bell's panel (re-fetched when the socket says something changed), marking read,
the choice of what a person is told about, where, and when by email, and the one-click
unsubscribe that an email's link opens without signing in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgetpay.pages import form_data, form_saved, next_url
from notifications import services as notification_services
from notifications.delivery_selectors import delivery_summaries, webhooks_listed
from notifications.delivery_settings import delivery_settings_for, email_timings_for, notification_choices_update
from notifications.email import email_unsubscribe, unsubscribe_read, verified_address
from notifications.forms import NotificationPreferencesForm
from notifications.models import Notification
from notifications.quiet_hours import quiet_hours_of
from notifications.selectors import notifications_for, preference_matrix_for
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
    page.object_list = list(page.object_list)
    summaries = delivery_summaries(notification_ids=[notification.pk for notification in page.object_list])
    for notification in page.object_list:
        notification.delivery_summary = summaries.get(notification.pk, "")
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
    """One of the account pages (it shares their layout, users/account_layout.html): the
    type × channel matrix with each type's email timing, the options that hide amounts, the
    quiet hours, push on this device, the webhooks, and why no email comes while the address
    is not verified. A choice the service refuses (quiet hours half set) is shown on the form
    and nothing is saved."""
    matrix = preference_matrix_for(user=request.user)
    timings = email_timings_for(user=request.user)
    options = delivery_settings_for(user=request.user)
    quiet_hours = quiet_hours_of(user=request.user)
    form = NotificationPreferencesForm(
        form_data(request),
        matrix=matrix,
        email_timing=timings,
        push_hides_amounts=options.push_hides_amounts,
        email_hides_amounts=options.email_hides_amounts,
        quiet_hours=quiet_hours,
    )

    def save(chosen: dict) -> None:
        notification_choices_update(
            user=request.user,
            matrix=form.matrix_changes(matrix),
            email_timing=form.timing_changes(timings),
            push_hides_amounts=_changed(chosen["push_hides_amounts"], options.push_hides_amounts),
            email_hides_amounts=_changed(chosen["email_hides_amounts"], options.email_hides_amounts),
            quiet_hours=form.quiet_hours_change(quiet_hours),
        )

    if form_saved(request, form, save=save, message=lambda _: "Your notification choices were saved."):
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/notification_preferences.html",
        {
            "form": form,
            "webhooks": webhooks_listed(user=request.user),
            "email_verified": verified_address(user_id=request.user.pk) is not None,
        },
    )


def _changed(chosen: bool, before: bool) -> bool | None:
    return None if chosen == before else chosen


UNSUBSCRIBE_TEMPLATE = "notifications/unsubscribe.html"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def email_unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe from notification emails, without signing in (RFC 8058).

    The link in each email, and its `List-Unsubscribe` header, hold a signed token naming the
    person and the types the email was about (notifications.email.unsubscribe_token). GET shows
    what the link will turn off and a button: a mail scanner that follows links changes
    nothing. POST turns those types' email off and answers 200; a mail provider's one-click
    POST (body `List-Unsubscribe=One-Click`) carries no session and no CSRF token, so this view
    alone is exempt from the CSRF check: the signed token is what authorises it. A token this
    site did not sign, or altered, answers 400."""
    read = unsubscribe_read(token)
    if read is None:
        return render(request, UNSUBSCRIBE_TEMPLATE, {"state": "invalid"}, status=400)
    user_id, types = read
    labels = dict(Notification.Type.choices)
    context = {"types": [labels[type] for type in types], "token": token}
    if request.method == "GET":
        return render(request, UNSUBSCRIBE_TEMPLATE, {**context, "state": "confirm"})
    if not email_unsubscribe(user_id=user_id, types=types):
        return render(request, UNSUBSCRIBE_TEMPLATE, {"state": "invalid"}, status=400)
    return render(request, UNSUBSCRIBE_TEMPLATE, {**context, "state": "done"})
