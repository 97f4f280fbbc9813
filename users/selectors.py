"""Reads on users' credentials."""

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from users.models import User


def active_refresh_tokens(*, user: User) -> QuerySet[OutstandingToken]:
    """Refresh tokens of `user` that still work: not revoked, not expired; newest first."""
    return OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).order_by("-created_at")
