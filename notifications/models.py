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
        DELIVERY_PROBLEM = "delivery_problem", "Delivery problem"
        GOAL_DEADLINE = "goal_deadline", "Goal deadline coming"
        WEEKLY_SUMMARY = "weekly_summary", "Weekly summary"
        BUDGET_PACE = "budget_pace", "Budget pace warning"

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


class Channel(models.TextChoices):
    """Where a notification goes. In-app is the stored row and the sockets; the others
    are outside deliveries (Delivery rows, sent by the job engine)."""

    IN_APP = "in_app", "In the app"
    PUSH = "push", "Push to my devices"
    WEBHOOK = "webhook", "My webhooks"
    EMAIL = "email", "Email"


OUTSIDE_CHANNELS = (Channel.PUSH, Channel.WEBHOOK, Channel.EMAIL)


class EmailTiming(models.TextChoices):
    """When an email-on type is mailed: at once (urgent) or in the person's digest."""

    IMMEDIATE = "immediate", "At once"
    DAILY = "daily", "In the daily digest"
    WEEKLY = "weekly", "In the weekly digest"


# Types a new user receives in the app unless they turn them off; the rest start muted.
OFF_BY_DEFAULT = frozenset({Notification.Type.EXPENSE_RECORDED})

# What a person is told on their phone unless they choose otherwise: the alerts about money
# leaving, going over, or falling behind (and the warnings before: a budget's pace, a goal's
# deadline), and account security. Insights stay in the app.
PUSH_BY_DEFAULT = frozenset(
    {
        Notification.Type.BUDGET_THRESHOLD,
        Notification.Type.BUDGET_EXCEEDED,
        Notification.Type.BUDGET_PACE,
        Notification.Type.GOAL_DEADLINE,
        Notification.Type.LARGE_EXPENSE,
        Notification.Type.SPENDING_ALERT,
        Notification.Type.GOAL_BEHIND,
        Notification.Type.GOAL_ACHIEVED,
        Notification.Type.ANNOUNCEMENT,
    }
)


# What reaches a person's inbox unless they choose otherwise. An inbox is not a lock screen: one
# urgent alert is mailed at once (a budget used up), the assistant's insights and the morning's
# warnings (a budget's pace, a goal's deadline) wait for the daily digest and the weekly
# summary for the weekly one. Everything else is in the
# app already, and mail nobody asked for teaches people to ignore the rest.
EMAIL_BY_DEFAULT = frozenset(
    {
        Notification.Type.BUDGET_EXCEEDED,
        Notification.Type.BUDGET_PACE,
        Notification.Type.GOAL_DEADLINE,
        Notification.Type.BUDGET_INSIGHT,
        Notification.Type.SAVING_TIP,
        Notification.Type.GOAL_PROGRESS,
        Notification.Type.SPENDING_ALERT,
        Notification.Type.WEEKLY_SUMMARY,
    }
)

# When an email-on type is mailed unless the person chose (a blank email_timing): alerts that
# ask for action now go at once, the weekly summary in the weekly digest, the rest (insights,
# milestones, reminders) in the daily one.
EMAIL_IMMEDIATE_BY_DEFAULT = frozenset(
    {
        Notification.Type.BUDGET_EXCEEDED,
        Notification.Type.BUDGET_THRESHOLD,
        Notification.Type.LARGE_EXPENSE,
        Notification.Type.DELIVERY_PROBLEM,
        Notification.Type.ANNOUNCEMENT,
    }
)
EMAIL_WEEKLY_BY_DEFAULT = frozenset({Notification.Type.WEEKLY_SUMMARY})


def email_timing_default(type: str) -> str:
    """When a type's emails go unless the person chose: at once, daily or weekly."""
    if type in EMAIL_IMMEDIATE_BY_DEFAULT:
        return EmailTiming.IMMEDIATE
    if type in EMAIL_WEEKLY_BY_DEFAULT:
        return EmailTiming.WEEKLY
    return EmailTiming.DAILY


def channel_default(type: str, channel: str) -> bool:
    """The matrix's default for a type and channel (no NotificationPreference row).
    Webhooks default on for every type the app shows: each webhook names its own
    types, which is where a person narrows what it receives."""
    if channel == Channel.IN_APP:
        return type not in OFF_BY_DEFAULT
    if channel == Channel.PUSH:
        return type in PUSH_BY_DEFAULT
    if channel == Channel.EMAIL:
        return type in EMAIL_BY_DEFAULT
    return type not in OFF_BY_DEFAULT


class NotificationPreference(models.Model):
    """A person's choice to receive one type of notification on one channel or not.
    Without a row, the default applies (channel_default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    type = models.CharField(max_length=32, choices=Notification.Type.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.IN_APP)
    enabled = models.BooleanField()
    # Email cells only: at once or in a digest; blank means the type's default.
    email_timing = models.CharField(max_length=10, choices=EmailTiming.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "type", "channel"], name="notifications_unique_preference"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.channel}: {'on' if self.enabled else 'off'}"


class DeliverySettings(models.Model):
    """How outside deliveries treat one person (no row: the defaults)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delivery_settings")
    push_hides_amounts = models.BooleanField(
        default=False, help_text="Pushes say that something happened without the amounts (lock screens)."
    )
    email_hides_amounts = models.BooleanField(default=False, help_text="Emails leave the amounts out.")
    # Quiet hours in the person's own time zone (both set: on; start > end wraps midnight).
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"delivery settings of user {self.user_id}"


class PushSubscription(models.Model):
    """One browser or device's Web Push subscription (PushSubscription.toJSON())."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=2000, unique=True)
    p256dh = models.CharField(max_length=200, help_text="The browser's P-256 public key (base64url).")
    auth = models.CharField(max_length=100, help_text="The browser's auth secret (base64url).")
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"push subscription {self.pk} of user {self.user_id}"


class Webhook(models.Model):
    """A person's endpoint that receives their notifications, signed per Standard Webhooks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Standard Webhooks form: "whsec_" + base64 of the key. Kept to sign; shown to the person once.
    secret = models.CharField(max_length=100, editable=False)
    # Notification types it receives; empty: every type.
    types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"webhook {self.pk} of user {self.user_id}"

    def wants(self, type: str) -> bool:
        return not self.types or type in self.types


class Delivery(models.Model):
    """One notification on its way to one outside target (a device, a webhook). The row is
    the truth: the job engine only rings the doorbell, and the sweeper finds what a lost
    job, a killed worker or a restarted broker left behind. At least once: a crash between
    sending and marking sent sends again under the same `key`, which receivers use to
    de-duplicate (`webhook-id`; the push payload's `id`)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will retry"
        GIVEN_UP = "given_up", "Given up"

    key = models.CharField(max_length=40, unique=True, editable=False)
    # Empty for a webhook's test event, which carries a payload of its own.
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    push_subscription = models.ForeignKey(
        PushSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    is_test = models.BooleanField(default=False)
    # Waiting to go out together with others rather than on its own: "daily"/"weekly" (an
    # email digest) or "quiet" (held by quiet hours). The sweeper leaves such rows to the
    # batch's own job; blank: sent on its own.
    batch = models.CharField(max_length=8, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-id",)
        verbose_name_plural = "deliveries"
        indexes = [
            # The sweeper's question: what is due, or stuck in a lapsed claim?
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending", "failed"]),
                name="delivery_due",
            ),
            models.Index(fields=["user", "channel", "sent_at"], name="delivery_user_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery {self.key} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try of a delivery: the log a person and staff read."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"attempt on {self.delivery_id}: {self.status_code or self.error}"


class ScheduledRun(models.Model):
    """One person's scheduled job for one local date (the morning run: insight, digest,
    goal deadlines, budget pace; the weekly summary on Mondays). The unique key makes a
    second run of the same schedule a no-op."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scheduled_runs")
    kind = models.CharField(max_length=16)
    local_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "local_date"], name="notifications_unique_scheduled_run"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of user {self.user_id} on {self.local_date}"
