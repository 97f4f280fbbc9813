"""The admin site in tests, posted to as a superuser (pytest-django's admin_client): a model's
add and change pages, what a refused form says about a field, the rule that a row's link to
another row stays within its owner's rows, and the same refusal from a service."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Model


def admin_url(model_or_row: type[Model] | Model) -> str:
    """The admin's add page of a model, or the change page of a row."""
    meta = model_or_row._meta
    base = f"/admin/{meta.app_label}/{meta.model_name}/"
    return f"{base}add/" if isinstance(model_or_row, type) else f"{base}{model_or_row.pk}/change/"


def field_errors(response, field: str) -> list[str]:
    """What the admin's form answered about `field`; fails when the form was accepted."""
    assert response.status_code == 200, "the form was accepted"
    return response.context["adminform"].form.errors.get(field, [])


def assert_admin_refuses_another_persons(
    client, row: Model, *, field: str, message: str, form: Callable[..., dict], foreign: Model, change: dict[str, str]
) -> None:
    """`row`'s `field` names one of its owner's rows. The admin's add form, and `row`'s change
    form, refuse `foreign` (someone else's) there with `message` and store nothing; the change
    form still saves `change` with the owner's own row. `form(linked, **fields)` is the form
    as the browser posts it."""
    model, own = type(row), getattr(row, field)
    count = model.objects.count()
    assert field_errors(client.post(admin_url(model), form(foreign)), field) == [message]
    assert model.objects.count() == count
    assert field_errors(client.post(admin_url(row), form(foreign)), field) == [message]
    row.refresh_from_db()
    assert getattr(row, field) == own

    assert client.post(admin_url(row), form(own, **change)).status_code == 302
    row.refresh_from_db()
    assert {name: str(getattr(row, name)) for name in change} == change


@contextmanager
def refused(field: str, message: str) -> Iterator[None]:
    """The block raises the ValidationError a service answers with: `message` on `field`, alone."""
    with pytest.raises(ValidationError) as caught:
        yield
    assert caught.value.message_dict == {field: [message]}
