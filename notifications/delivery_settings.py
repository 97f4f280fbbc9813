"""How outside deliveries treat one person (notifications.models.DeliverySettings), and the
one write behind both places a person makes their notification choices: the preferences
API and the preferences page save the type × channel matrix and these settings together."""

from django.db import transaction

from notifications import services
from notifications.models import DeliverySettings


def delivery_settings_for(*, user) -> DeliverySettings:
    """This person's settings; the defaults (an unsaved row) when they never chose."""
    return DeliverySettings.objects.filter(user=user).first() or DeliverySettings(user=user)


def push_hides_amounts(*, user_id: int) -> bool:
    """Whether this person's pushes leave the amounts out (lock screens)."""
    return DeliverySettings.objects.filter(user_id=user_id, push_hides_amounts=True).exists()


@transaction.atomic
def delivery_settings_update(*, user, push_hides_amounts: bool) -> DeliverySettings:
    settings, _ = DeliverySettings.objects.update_or_create(
        user=user, defaults={"push_hides_amounts": push_hides_amounts}
    )
    return settings


@transaction.atomic
def notification_choices_update(
    *, user, matrix: dict[str, dict[str, bool]], push_hides_amounts: bool | None = None
) -> None:
    """Save a person's choices at once: `matrix` is `{type: {channel: on}}` (only the cells
    that change need be given); `push_hides_amounts` is left as it is when None."""
    if matrix:
        services.preference_matrix_update(user=user, changes=matrix)
    if push_hides_amounts is not None:
        delivery_settings_update(user=user, push_hides_amounts=push_hides_amounts)
