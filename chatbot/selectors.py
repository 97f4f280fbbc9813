"""Reads on conversations, messages and proposed actions, always for one user."""

from django.db.models import Prefetch, QuerySet

from chatbot.models import Conversation, Message, ProposedAction

HISTORY_MESSAGES = 30


def conversation_list(*, user) -> QuerySet[Conversation]:
    return Conversation.objects.filter(user=user)


def conversation_detail_list(*, user) -> QuerySet[Conversation]:
    """The user's conversations with their messages and each message's proposed actions, in three queries."""
    messages = Message.objects.order_by("id").prefetch_related("actions")
    return conversation_list(user=user).prefetch_related(Prefetch("messages", queryset=messages))


def conversation_get(*, user, conversation_id: int) -> Conversation:
    """One of the user's conversations; Conversation.DoesNotExist for anyone else's."""
    return conversation_list(user=user).get(pk=conversation_id)


def model_history(*, conversation: Conversation) -> list[dict]:
    """The conversation so far as the model sees it: the last messages, starting at a
    question of the user's, with earlier tool rounds kept as tool calls and `tool`
    results (so a follow-up can refer to what a tool returned). A tool call is kept only
    with all its results, as the chat-completions API requires."""
    rows = list(conversation.messages.order_by("-id")[:HISTORY_MESSAGES])[::-1]
    while rows and rows[0].role != Message.Role.USER:
        rows.pop(0)
    answered = {row.tool_call_id for row in rows if row.role == Message.Role.TOOL}
    kept_calls: set[str] = set()
    history: list[dict] = []
    for row in rows:
        if row.role == Message.Role.TOOL:
            if row.tool_call_id in kept_calls:
                history.append(row.for_model())
        elif row.tool_calls:
            ids = [call["id"] for call in row.tool_calls]
            if answered.issuperset(ids):
                kept_calls.update(ids)
                history.append(row.for_model())
        elif row.content:
            history.append(row.for_model())
    return history


def action_list(*, user) -> QuerySet[ProposedAction]:
    return ProposedAction.objects.filter(user=user)
