from django.conf import settings
from django.db import models


class Conversation(models.Model):
    """A chat between one user and the assistant."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_conversations")
    title = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-updated_at", "-id")
        indexes = [models.Index(fields=["user", "-updated_at"], name="conversation_user_updated")]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class Message(models.Model):
    """One message of a conversation. Besides the user's messages and the assistant's
    answers, the tool rounds are kept: an assistant message that asks for tools
    (`tool_calls`) and one `tool` message per call with its result as JSON."""

    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"
        TOOL = "tool", "Tool"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=9, choices=Role.choices)
    content = models.TextField(blank=True)
    # Assistant messages asking for tools: [{"id", "name", "arguments"}].
    tool_calls = models.JSONField(default=list, blank=True)
    # Tool messages: the id of the call they answer.
    tool_call_id = models.CharField(max_length=100, blank=True)
    # Assistant answers: {"source": "ai", "model": ...} or {"source": "rules", "reason": ...},
    # plus "truncated" when the answer was cut to the length bound. Tool messages: {"name"}.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"

    def for_model(self) -> dict:
        """The message as the chat-completions API takes it."""
        if self.role == self.Role.TOOL:
            return {"role": "tool", "tool_call_id": self.tool_call_id, "content": self.content}
        if self.tool_calls:
            calls = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
                for call in self.tool_calls
            ]
            return {"role": "assistant", "content": self.content or None, "tool_calls": calls}
        return {"role": self.role, "content": self.content}


class ProposedAction(models.Model):
    """A change to a transaction the assistant proposed. Nothing is written until the
    user confirms it. For an edit, the empty (None) fields stay as they are; after a
    confirmed create, `transaction` is the new transaction."""

    class Operation(models.TextChoices):
        CREATE = "create", "Create"
        EDIT = "edit", "Edit"
        DELETE = "delete", "Delete"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed and applied"
        CANCELLED = "cancelled", "Cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_actions")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="actions")
    # The assistant answer that presented the proposal to the user.
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions")
    operation = models.CharField(max_length=6, choices=Operation.choices)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    summary = models.CharField(max_length=300)
    transaction = models.ForeignKey(
        "transactions.Transaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        "transactions.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(
        "transactions.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=8, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    # None: unchanged (an edit); "" would clear the description.
    description = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 (None vs "")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=["user", "status"], name="proposedaction_user_status")]

    def __str__(self) -> str:
        return self.summary
