from django.apps import AppConfig


class GoalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "goals"

    def ready(self) -> None:
        from budgetpay import personal_data

        personal_data.register("goals", self.get_model("Goal"))
        personal_data.register("goal_entries", self.get_model("GoalEntry"), owner="goal__user")
