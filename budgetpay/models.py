"""The platform's own rows: what every domain relies on and none owns.

IdempotencyKey keeps the first answer to a retried POST (budgetpay.idempotency); AIRequest
and AIDailyUsage are the language-model gateway's records (budgetpay.llm, budgetpay.ai_limit).
Heartbeat says when a periodic job last ran (the delivery sweeper: `/health`). The first
three were written by the users and chatbot apps before the platform became an app; their
tables keep their old names, so the move changed no data (migration budgetpay 0001).
"""

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key` header, so that a
    client retrying after a lost response gets it again instead of a second record."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "users_idempotencykey"  # moved from users (migrations budgetpay 0001)
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="users_unique_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"


class AIRequest(models.Model):
    """One AI request made for a user: what it was for, which model answered
    (empty when the rule-based fallback did) and the tokens it cost."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ai_requests")
    purpose = models.CharField(max_length=32)
    model = models.CharField(max_length=100, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "chatbot_airequest"  # moved from chatbot (migrations budgetpay 0001)
        ordering = ("-id",)
        indexes = [models.Index(fields=["user", "created_at"], name="airequest_user_created")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.model or 'rules'}"


class AIDailyUsage(models.Model):
    """How many model calls a user has reserved on one of their days (their own
    timezone): the counter ai_limit.DailyBudget takes AI_DAILY_LIMIT from.
    AIRequest keeps the log of each call; this row is what the limit is checked against,
    so that a reservation is one conditional UPDATE of one row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "chatbot_aidailyusage"  # moved from chatbot
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="aidailyusage_user_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.used}"


class Heartbeat(models.Model):
    """When a periodic job last finished: `/health` reports a sweeper that stopped."""

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
