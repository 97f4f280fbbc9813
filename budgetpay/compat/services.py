"""The writes the original client makes that the apps have no service for yet: its profile
form (which carries the monthly savings goal) and deactivating the account. Each runs in
one database transaction and goes through the users app's own writes where there are some."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from budgetpay.services import model_update
from users import services as user_services
from users.models import User

NOT_GIVEN: Any = object()


@transaction.atomic
def profile_update(*, user: User, monthly_savings_goal: Decimal | None = NOT_GIVEN, **profile: Any) -> User:
    """Change profile fields (users.services.user_update) and the monthly savings goal."""
    if profile:
        user = user_services.user_update(user=user, **profile)
    if monthly_savings_goal is not NOT_GIVEN:
        user, _ = model_update(
            instance=user,
            fields={"monthly_savings_goal": monthly_savings_goal},
            allowed={"monthly_savings_goal"},
            clean_exclude=["password"],
        )
    return user


@transaction.atomic
def account_deactivate(*, user: User) -> None:
    """Disable the account, as the original's deactivation did: nothing is deleted, no token
    of the person's is accepted any more (the REST API, the sockets and this API all refuse
    an inactive person; their open sockets close on the save), and every refresh token and
    original-client token is revoked, so reactivating it in the admin revives none of them."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_services.user_revoke_refresh_tokens(user=user)
