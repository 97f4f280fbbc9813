"""How outside deliveries treat one person (notifications.models.DeliverySettings, and when
each type's emails go), and the one write behind both places a person makes their
notification choices: the preferences API and the preferences page save the type × channel
matrix, the email timings and these settings together (the page its quiet hours too)."""

from datetime import time

from django.db import transaction

from notifications import quiet_hours as quiet_hours_service
from notifications import services
from notifications.models import (
    Channel,
    DeliverySettings,
    Notification,
    NotificationPreference,
    channel_default,
    email_timing_default,
)


def delivery_settings_for(*, user) -> DeliverySettings:
    """This person's settings; the defaults (an unsaved row) when they never chose."""
    return DeliverySettings.objects.filter(user=user).first() or DeliverySettings(user=user)


def push_hides_amounts(*, user_id: int) -> bool:
    """Whether this person's pushes leave the amounts out (lock screens)."""
    return DeliverySettings.objects.filter(user_id=user_id, push_hides_amounts=True).exists()


def email_hides_amounts(*, user_id: int) -> bool:
    """Whether this person's emails leave the amounts out."""
    return DeliverySettings.objects.filter(user_id=user_id, email_hides_amounts=True).exists()


def email_timings_for(*, user) -> dict[str, str]:
    """Every notification type with when its emails go for this person: immediate, daily or
    weekly (their choice, else the type's default, models.email_timing_default)."""
    chosen = dict(
        NotificationPreference.objects.filter(user=user, channel=Channel.EMAIL)
        .exclude(email_timing="")
        .values_list("type", "email_timing")
    )
    return {type: chosen.get(type) or email_timing_default(type) for type in Notification.Type.values}


@transaction.atomic
def delivery_settings_update(
    *, user, push_hides_amounts: bool | None = None, email_hides_amounts: bool | None = None
) -> DeliverySettings:
    """Change the options given (None: left as it is)."""
    changes = {
        field: value
        for field, value in (("push_hides_amounts", push_hides_amounts), ("email_hides_amounts", email_hides_amounts))
        if value is not None
    }
    settings, _ = DeliverySettings.objects.update_or_create(user=user, defaults=changes)
    return settings


@transaction.atomic
def email_timings_update(*, user, timings: dict[str, str]) -> None:
    """Set when each type's emails go: `{type: "immediate" | "daily" | "weekly"}`. The email
    cell's on/off is kept (a type never chosen keeps its default)."""
    for type, timing in timings.items():
        NotificationPreference.objects.update_or_create(
            user=user,
            type=type,
            channel=Channel.EMAIL,
            defaults={"email_timing": timing},
            create_defaults={"email_timing": timing, "enabled": channel_default(type, Channel.EMAIL)},
        )


@transaction.atomic
def notification_choices_update(
    *,
    user,
    matrix: dict[str, dict[str, bool]],
    push_hides_amounts: bool | None = None,
    email_timing: dict[str, str] | None = None,
    email_hides_amounts: bool | None = None,
    quiet_hours: tuple[time | None, time | None] | None = None,
) -> None:
    """Save a person's choices at once: `matrix` is `{type: {channel: on}}` (only the cells
    that change need be given), `email_timing` `{type: timing}` likewise, `quiet_hours`
    `(start, end)` through quiet_hours_update (whose ValidationError undoes the whole save);
    an option left None is left as it is."""
    if quiet_hours is not None:
        start, end = quiet_hours
        quiet_hours_service.quiet_hours_update(user=user, start=start, end=end)
    if matrix:
        services.preference_matrix_update(user=user, changes=matrix)
    if email_timing:
        email_timings_update(user=user, timings=email_timing)
    if push_hides_amounts is not None or email_hides_amounts is not None:
        delivery_settings_update(
            user=user, push_hides_amounts=push_hides_amounts, email_hides_amounts=email_hides_amounts
        )
