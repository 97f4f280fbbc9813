from django.conf import settings
from django.db import models


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
        ordering = ("-id",)
        indexes = [models.Index(fields=["user", "created_at"], name="airequest_user_created")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.model or 'rules'}"
