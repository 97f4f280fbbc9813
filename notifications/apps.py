from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        from budgetpay import personal_data
        from budgets.models import Budget
        from goals.models import Goal, GoalEntry
        from notifications import receivers
        from transactions.models import Transaction
        from transactions.signals import transactions_imported
        from users.signals import refresh_token_reused

        post_save.connect(receivers.transaction_saved, sender=Transaction, dispatch_uid="notify_transaction_saved")
        post_delete.connect(
            receivers.transaction_deleted, sender=Transaction, dispatch_uid="notify_transaction_deleted"
        )
        post_save.connect(receivers.budget_saved, sender=Budget, dispatch_uid="notify_budget_saved")
        post_save.connect(receivers.goal_saved, sender=Goal, dispatch_uid="notify_goal_saved")
        post_save.connect(receivers.goal_entry_saved, sender=GoalEntry, dispatch_uid="notify_goal_entry_saved")
        transactions_imported.connect(receivers.transactions_imported, dispatch_uid="notify_transactions_imported")
        post_delete.connect(receivers.goal_entry_deleted, sender=GoalEntry, dispatch_uid="notify_goal_entry_deleted")
        refresh_token_reused.connect(receivers.refresh_token_reused, dispatch_uid="notify_refresh_token_reused")

        personal_data.register("notifications", self.get_model("Notification"), left_out={"dedupe_key"})
        personal_data.register("notification_preferences", self.get_model("NotificationPreference"))
        personal_data.register("delivery_settings", self.get_model("DeliverySettings"))
        personal_data.register("push_subscriptions", self.get_model("PushSubscription"), left_out={"p256dh", "auth"})
        personal_data.register("webhooks", self.get_model("Webhook"), left_out={"secret"})
        personal_data.register("deliveries", self.get_model("Delivery"), left_out={"claim"})
        personal_data.register("scheduled_runs", self.get_model("ScheduledRun"))
