from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class TransactionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transactions"

    def ready(self) -> None:
        from transactions.receivers import give_new_user_a_starter_ledger

        post_save.connect(
            give_new_user_a_starter_ledger,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="transactions.give_new_user_a_starter_ledger",
        )
