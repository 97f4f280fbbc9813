"""Writes every domain shares: the one way a service changes fields of an existing row.

Modelled on HackSoft's Django-Styleguide `model_update`: the service names the fields a
caller may change, the row is validated whole (`full_clean`, so the model's field
validators, `clean()` and constraints all speak) and only the fields given are written.
Services raise Django's ValidationError; the API answers it as a 400 naming
each field (`budgetpay.api.exception_handler`), the pages show it on their forms.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

ModelT = TypeVar("ModelT", bound=models.Model)


def model_update(
    *,
    instance: ModelT,
    fields: Mapping[str, Any],
    allowed: Iterable[str],
    clean_exclude: Iterable[str] = (),
    validate_constraints: bool = True,
    check: Callable[[ModelT], None] | None = None,
) -> ModelT:
    """Set `fields` on `instance`, validate the row whole and save those fields.

    Every name in `fields` must be in `allowed` (TypeError otherwise: a programming
    error, not bad input). The row runs `full_clean(exclude=clean_exclude,
    validate_constraints=...)`, then `check` (the service's own rules, which raise
    ValidationError), and is saved with `update_fields` (plus any `auto_now` field).
    The given fields are saved even when they equal the instance's values: a ModelForm
    bound to the instance has already set them on it.
    """
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__} may not be updated with: {', '.join(sorted(unknown))}")
    if not fields:
        return instance
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean(exclude=list(clean_exclude), validate_constraints=validate_constraints)
    if check is not None:
        check(instance)
    stamped = [field.name for field in instance._meta.concrete_fields if getattr(field, "auto_now", False)]
    instance.save(update_fields=[*fields, *(name for name in stamped if name not in fields)])
    return instance
