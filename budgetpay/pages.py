"""The page kit's view helpers, shared by every app's server-rendered pages: where to go
next, a form page that saves through one service, the confirm-then-delete page, and the
add, edit and delete pages of one kind of row with their URLs (`RowPages`).

Each page view parses a form, calls one service (the only writers) or selectors, and
renders. Objects are looked up through the owner's selector, so another person's id
answers 404; CSRF is checked by Django's middleware on every POST.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from budgetpay.forms import add_service_errors


def next_url(request: HttpRequest, default: str) -> str:
    """The `next` field or parameter when it points back into this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def form_data(request: HttpRequest) -> QueryDict | None:
    """A form's data: bound on every POST, even an empty one, so a submitted empty
    form shows its errors instead of coming back blank."""
    return request.POST if request.method == "POST" else None


def form_saved(request: HttpRequest, form, *, save: Callable[[dict], Any], message: Callable[[Any], str]) -> bool:
    """On a valid POST call `save(cleaned_data)` (one service) and say `message(saved)`:
    True once saved. A service's ValidationError lands next to its field (False)."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        saved = save(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    messages.success(request, message(saved))
    return True


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
    """Show `form`; once `form_saved` go to `done` (a URL name or path), else show the form again."""
    if form_saved(request, form, save=save, message=message):
        return redirect(done)
    return render(request, template, {"form": form, **context})


def delete_page(
    request: HttpRequest,
    obj,
    *,
    delete: Callable[[Any], None],
    what: str,
    done: str,
    message: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """Confirm, then delete through the service, say `message(obj)` ("Budget “Food” deleted."
    by default) and go to the page named `done`; a refusal it explains (ValidationError) goes
    back there as an error message and deletes nothing."""
    if request.method == "POST":
        try:
            delete(obj)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message(obj) if message else f"{what.capitalize()} “{obj}” deleted.")
        return redirect(done)
    return render(request, "includes/confirm_delete.html", {"object": obj, "what": what, "cancel": reverse(done)})


def _form_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return login_required(require_http_methods(["GET", "POST"])(view))


class RowPages:
    """The add, edit and delete pages of one kind of the signed-in person's rows, named as
    Django's generic views name theirs. For the model `budgets.Budget`: the form template
    `budgets/budget_form.html`, which shows the edited row as `budget` (no `budget`: a new
    one); the app's services (convention 1) `budget_create(user=..., **fields)`,
    `budget_update(budget=..., **fields)` and `budget_delete(budget=...)`; and the confirm
    page includes/confirm_delete.html.

    `rows(user=...)` selects the person's rows, so another person's id answers 404;
    `form(request, row)` is the page's form for a row, or for a new one (row None); `done`
    names the page to go to afterwards. The messages say "Budget “Food” created.", "saved."
    and "deleted." unless `created`, `saved` or `deleted` word them; with `follow_next` the
    add page goes back where it was opened from (`next`, within this site).
    """

    def __init__(
        self,
        model: type[models.Model],
        services: ModuleType,
        *,
        rows: Callable[..., models.QuerySet],
        form: Callable[[HttpRequest, Any], forms.Form],
        done: str,
        created: Callable[[Any], str] | None = None,
        saved: Callable[[Any], str] | None = None,
        deleted: Callable[[Any], str] | None = None,
        follow_next: bool = False,
    ) -> None:
        self.name = model._meta.model_name
        self.what = str(model._meta.verbose_name)
        self.template = f"{model._meta.app_label}/{self.name}_form.html"
        self.service = {verb: getattr(services, f"{self.name}_{verb}") for verb in ("create", "update", "delete")}
        self.rows, self.form, self.done, self.follow_next = rows, form, done, follow_next
        self.created = created or (lambda row: f"{self.what.capitalize()} “{row}” created.")
        self.saved = saved or (lambda row: f"{self.what.capitalize()} “{row}” saved.")
        self.deleted = deleted
        self.create_page = _form_view(self._form_page)
        self.edit_page = _form_view(lambda request, pk: self._form_page(request, self._row(request, pk)))
        self.delete_page = _form_view(self._delete_page)

    def paths(self, prefix: str, name: str = "") -> list[URLPattern]:
        """The pages at `<prefix>new/`, `<prefix><pk>/edit/` and `<prefix><pk>/delete/`, named
        create, edit and delete (`<name>-create`, ... when `name` is given)."""
        named = f"{name}-" if name else ""
        return [
            path(f"{prefix}new/", self.create_page, name=f"{named}create"),
            path(f"{prefix}<int:pk>/edit/", self.edit_page, name=f"{named}edit"),
            path(f"{prefix}<int:pk>/delete/", self.delete_page, name=f"{named}delete"),
        ]

    def added(self, request: HttpRequest, form: forms.Form) -> bool:
        """Whether `form`, shown on another page (the dashboard's quick add), was posted and
        saved as the add page saves it; its errors are on the form otherwise."""
        return form_saved(request, form, save=lambda fields: self._save(request, None, fields), message=self.created)

    def _row(self, request: HttpRequest, pk: int) -> models.Model:
        return get_object_or_404(self.rows(user=request.user), pk=pk)

    def _save(self, request: HttpRequest, row: models.Model | None, fields: dict) -> models.Model:
        if row is None:
            return self.service["create"](user=request.user, **fields)
        return self.service["update"](**{self.name: row}, **fields)

    def _form_page(self, request: HttpRequest, row: models.Model | None = None) -> HttpResponse:
        back = self.follow_next and row is None
        return form_page(
            request,
            self.form(request, row),
            save=lambda fields: self._save(request, row, fields),
            done=next_url(request, reverse(self.done)) if back else self.done,
            message=self.created if row is None else self.saved,
            template=self.template,
            **({"next": next_url(request, "")} if back else {self.name: row}),
        )

    def _delete_page(self, request: HttpRequest, pk: int) -> HttpResponse:
        return delete_page(
            request,
            self._row(request, pk),
            delete=lambda row: self.service["delete"](**{self.name: row}),
            what=self.what,
            done=self.done,
            message=self.deleted,
        )
