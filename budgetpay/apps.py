from django.apps import AppConfig


class BudgetpayConfig(AppConfig):
    """The platform as an app: its models (idempotency, AI records), template tags and commands."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "budgetpay"
    verbose_name = "Platform"

    def ready(self) -> None:
        from budgetpay import personal_data

        personal_data.register("ai_requests", self.get_model("AIRequest"))
        personal_data.register("ai_daily_usage", self.get_model("AIDailyUsage"))
