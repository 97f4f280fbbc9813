from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "budgets"

    def ready(self) -> None:
        from budgetpay import personal_data

        personal_data.register("budgets", self.get_model("Budget"))
