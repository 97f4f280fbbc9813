from transactions import services


def give_new_user_a_starter_ledger(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A new user starts with the default categories and one account."""
    if created and not raw:
        services.category_create_defaults(user=instance)
        services.account_create_default(user=instance)
