"""The page kit's view helpers, shared by every app's server-rendered pages: where to go
next, a form page that saves through one service, and the confirm-then-delete page.

Each page view parses a form, calls one service (the only writers) or selectors, and
renders. Objects are looked up through the owner's selector, so another person's id
answers 404; CSRF is checked by Django's middleware on every POST.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from budgetpay.forms import add_service_errors


def next_url(request: HttpRequest, default: str) -> str:
    """The `next` field or parameter when it points back into this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure()):
        return candidate
    return default


def form_data(request: HttpRequest) -> QueryDict | None:
    """A form's data: bound on every POST, even an empty one, so a submitted empty
    form shows its errors instead of coming back blank."""
    return request.POST if request.method == "POST" else None


def form_page(
    request: HttpRequest,
    form,
    *,
    save: Callable[[dict], Any],
    done: str,
    message: Callable[[Any], str],
    template: str,
    **context,
) -> HttpResponse:
    """Show `form`; on a valid POST call `save(cleaned_data)` (one service) and go to the
    page named `done` saying `message(saved)`. A service's ValidationError lands next to its field."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, message(saved))
            return redirect(done)
    return render(request, template, {"form": form, **context})


def delete_page(request: HttpRequest, obj, *, delete: Callable[[Any], None], what: str, done: str) -> HttpResponse:
    """Confirm, then delete through the service and go to the page named `done`; a refusal
    it explains (ValidationError) goes back there as an error message and deletes nothing."""
    if request.method == "POST":
        try:
            delete(obj)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{what.capitalize()} “{obj}” deleted.")
        return redirect(done)
    return render(request, "includes/confirm_delete.html", {"object": obj, "what": what, "cancel": reverse(done)})
