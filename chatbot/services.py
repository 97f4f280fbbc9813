"""Writes on conversations, messages and proposed actions. Each runs in one database transaction.

A proposed action changes the ledger only through `action_confirm`, which applies it
with transactions.services; nothing the model says writes anything by itself.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from budgetpay.formatting import format_money
from chatbot.models import Conversation, Message, ProposedAction
from transactions import services as ledger
from transactions.models import Account, Category, Transaction

TITLE_MAX_LENGTH = Conversation._meta.get_field("title").max_length
AUTO_TITLE_LENGTH = 60  # an untitled conversation is named after the start of its first message


@db_transaction.atomic
def conversation_create(*, user, title: str = "") -> Conversation:
    return Conversation.objects.create(user=user, title=title.strip()[:TITLE_MAX_LENGTH])


@db_transaction.atomic
def conversation_delete(*, conversation: Conversation) -> None:
    """Delete a conversation with its messages and proposed actions (applied changes stay in the ledger)."""
    conversation.delete()


@db_transaction.atomic
def message_create(
    *,
    conversation: Conversation,
    role: str,
    content: str,
    tool_calls: list[dict] | None = None,
    tool_call_id: str = "",
    data: dict | None = None,
) -> Message:
    """Store a message; the first user message names an untitled conversation."""
    message = Message.objects.create(
        conversation=conversation,
        role=role,
        content=content,
        tool_calls=tool_calls or [],
        tool_call_id=tool_call_id[:100],
        data=data or {},
    )
    if role == Message.Role.USER and not conversation.title:
        conversation.title = " ".join(content.split())[:AUTO_TITLE_LENGTH]
    conversation.save(update_fields=["title", "updated_at"])
    return message


@db_transaction.atomic
def reply_create(*, conversation: Conversation, content: str, data: dict, actions: list[ProposedAction]) -> Message:
    """Store the assistant's answer and attach the actions it proposed in this turn."""
    reply = message_create(conversation=conversation, role=Message.Role.ASSISTANT, content=content, data=data)
    ProposedAction.objects.filter(pk__in=[action.pk for action in actions]).update(message=reply)
    return reply


@db_transaction.atomic
def turn_discard(
    *, conversation: Conversation, messages: list[int], actions: list[ProposedAction], whole_conversation: bool
) -> None:
    """Undo a chat turn the daily limit stopped midway: its messages (the user's and any
    tool rounds') and the changes it proposed that are still pending, or the whole
    conversation when the turn started it. Nothing was answered, so nothing is kept."""
    ProposedAction.objects.filter(
        pk__in=[action.pk for action in actions], status=ProposedAction.Status.PENDING
    ).delete()
    if whole_conversation:
        conversation.delete()
    else:
        Message.objects.filter(conversation=conversation, pk__in=messages).delete()


def _money(amount: Decimal, currency: str, *, user) -> str:
    # The summary is what the person confirms (and what the model is told), in their locale.
    return format_money(amount, currency, user.locale)


def _describe(tx: Transaction, *, user) -> str:
    text = f"#{tx.pk} of {tx.date.isoformat()}, {tx.kind} of {_money(tx.amount, tx.account.currency, user=user)}"
    return f"{text}, {tx.description[:60]!r}" if tx.description else text


@db_transaction.atomic
def action_propose(
    *,
    user,
    conversation: Conversation,
    operation: str,
    transaction: Transaction | None = None,
    account: Account | None = None,
    category: Category | None = None,
    kind: str = "",
    amount: Decimal | None = None,
    date: date | None = None,
    description: str | None = None,
) -> ProposedAction:
    """Record a change for the user to confirm; it writes nothing to the ledger.

    create needs account, kind, amount and date; edit and delete need the user's own
    `transaction`, and an edit at least one field to change."""
    for related in (transaction, account, category):
        if related is not None and related.user_id != user.pk:
            raise ValidationError("Choose one of your own.")
    if operation == ProposedAction.Operation.CREATE:
        if account is None or amount is None or date is None or not kind:
            raise ValidationError("A new transaction needs an account, a kind, an amount and a date.")
        what = f"{description!r} " if description else ""
        summary = (
            f"Add {kind} {what}of {_money(amount, account.currency, user=user)} on {date.isoformat()} to {account.name}"
        )
        if category is not None:
            summary += f", category {category.name}"
    elif transaction is None:
        raise ValidationError("Name the transaction to change.")
    elif operation == ProposedAction.Operation.DELETE:
        summary = f"Delete transaction {_describe(transaction, user=user)}"
    else:
        changes = [
            f"{name} → {value}"
            for name, value in (
                ("amount", None if amount is None else _money(amount, transaction.account.currency, user=user)),
                ("date", date and date.isoformat()),
                ("description", None if description is None else repr(description)),
                ("category", category and category.name),
            )
            if value is not None
        ]
        if not changes:
            raise ValidationError("Say what to change: amount, date, description or category.")
        summary = f"Change transaction {_describe(transaction, user=user)}: {', '.join(changes)}"
    return ProposedAction.objects.create(
        user=user,
        conversation=conversation,
        operation=operation,
        summary=summary[: ProposedAction._meta.get_field("summary").max_length],
        transaction=transaction,
        account=account,
        category=category,
        kind=kind,
        amount=amount,
        date=date,
        description=description,
    )


def _proposed_fields(action: ProposedAction) -> dict:
    """The transaction's fields as the action names them; None is "as it is" (an edit) or
    "the service's default" (a new one: no description, uncategorised)."""
    named = {name: getattr(action, name) for name in ("amount", "date", "description", "category")}
    return {name: value for name, value in named.items() if value is not None}


@db_transaction.atomic
def action_confirm(*, action: ProposedAction) -> ProposedAction:
    """Apply a pending action through transactions.services. Idempotent: confirming an
    applied action again returns it unchanged. The status flips with a conditional
    UPDATE first, so of two concurrent confirmations only one applies the change;
    when applying fails, the flip is rolled back with it and the action stays pending."""
    flipped = ProposedAction.objects.filter(pk=action.pk, status=ProposedAction.Status.PENDING).update(
        status=ProposedAction.Status.CONFIRMED, decided_at=timezone.now()
    )
    action = ProposedAction.objects.select_related("user", "transaction", "account", "category").get(pk=action.pk)
    if not flipped:
        if action.status == ProposedAction.Status.CANCELLED:
            raise ValidationError("This change was cancelled; ask the assistant again to make it.")
        return action
    if action.operation == ProposedAction.Operation.CREATE:
        if action.account is None:
            raise ValidationError("The account of this change no longer exists; ask the assistant again.")
        action.transaction = ledger.transaction_create(
            user=action.user, account=action.account, kind=action.kind, **_proposed_fields(action)
        )
    elif action.transaction is None:
        raise ValidationError("The transaction of this change no longer exists.")
    elif action.operation == ProposedAction.Operation.DELETE:
        ledger.transaction_delete(transaction=action.transaction)
        action.transaction = None
    else:
        ledger.transaction_update(transaction=action.transaction, **_proposed_fields(action))
    action.save(update_fields=["transaction"])
    return action


@db_transaction.atomic
def action_cancel(*, action: ProposedAction) -> ProposedAction:
    """Drop a pending action. Idempotent; an applied action cannot be cancelled."""
    ProposedAction.objects.filter(pk=action.pk, status=ProposedAction.Status.PENDING).update(
        status=ProposedAction.Status.CANCELLED, decided_at=timezone.now()
    )
    action.refresh_from_db()
    if action.status == ProposedAction.Status.CONFIRMED:
        raise ValidationError("This change is already applied; ask the assistant to undo it instead.")
    return action
