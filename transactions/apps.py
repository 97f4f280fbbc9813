from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class TransactionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transactions"

    def ready(self) -> None:
        from budgetpay import personal_data
        from transactions.receivers import give_new_user_a_starter_ledger

        personal_data.register("accounts", self.get_model("Account"))
        personal_data.register("categories", self.get_model("Category"))
        personal_data.register("transactions", self.get_model("Transaction"), left_out={"import_hash"})
        personal_data.register("import_jobs", self.get_model("ImportJob"), left_out={"content", "claim"})

        post_save.connect(
            give_new_user_a_starter_ledger,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="transactions.give_new_user_a_starter_ledger",
        )
