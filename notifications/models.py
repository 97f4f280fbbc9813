from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """Something a person should know about their money. The row is the truth;
    the WebSocket push is only a doorbell. Ids rise, so a client resumes from
    the last id it saw."""

    class Type(models.TextChoices):
        BUDGET_THRESHOLD = "budget_threshold", "Budget threshold reached"
        BUDGET_EXCEEDED = "budget_exceeded", "Budget exceeded"
        LARGE_EXPENSE = "large_expense", "Large expense"
        INCOME_RECEIVED = "income_received", "Income received"
        EXPENSE_RECORDED = "expense_recorded", "Expense recorded"
        GOAL_MILESTONE = "goal_milestone", "Goal milestone"
        GOAL_ACHIEVED = "goal_achieved", "Goal achieved"
        GOAL_BEHIND = "goal_behind", "Goal behind schedule"
        BUDGET_INSIGHT = "budget_insight", "Budget insight"
        SAVING_TIP = "saving_tip", "Saving tip"
        GOAL_PROGRESS = "goal_progress", "Goal progress"
        SPENDING_ALERT = "spending_alert", "Spending alert"
        ACTIVITY_REMINDER = "activity_reminder", "Activity reminder"
        ANNOUNCEMENT = "announcement", "Announcement"

    class Level(models.TextChoices):
        INFO = "info", "Info"
        SUCCESS = "success", "Success"
        WARNING = "warning", "Warning"
        ALERT = "alert", "Alert"

    class Source(models.TextChoices):
        RULE = "rule", "Rule"
        AI = "ai", "AI"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=32, choices=Type.choices)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    title = models.CharField(max_length=200)
    message = models.TextField(max_length=2000)
    data = models.JSONField(default=dict, blank=True)
    related_type = models.CharField(max_length=32, blank=True)
    related_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.RULE)
    # Set by rules so that re-saving a row, or replaying an event, never notifies twice.
    dedupe_key = models.CharField(max_length=200, blank=True, editable=False)
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-id",)
        indexes = [
            models.Index(fields=["user", "-id"], name="notif_user_id"),
            models.Index(fields=["user", "type", "-id"], name="notif_user_type_id"),
            models.Index(fields=["user"], condition=Q(is_read=False), name="notif_user_unread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notifications_unique_dedupe_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type}: {self.title}"


# Types a new user receives unless they turn them off; the rest start muted.
OFF_BY_DEFAULT = frozenset({Notification.Type.EXPENSE_RECORDED})


class NotificationPreference(models.Model):
    """A person's choice to receive one type of notification or not. Without a
    row, the type's default applies (see OFF_BY_DEFAULT)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    type = models.CharField(max_length=32, choices=Notification.Type.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "type"], name="notifications_unique_preference"),
        ]

    def __str__(self) -> str:
        return f"{self.type}: {'on' if self.enabled else 'off'}"
