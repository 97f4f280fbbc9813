"""Everything Budget Pay holds about a person, for their right to their data.

`PERSONAL_DATA` names every table with rows of one person and how to find them;
the export walks it, and the account-deletion test checks that deleting the
account leaves none of them behind.
"""

import io
import json
import zipfile
from collections.abc import Iterator

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from budgetpay.csv_writer import SpreadsheetSafeWriter
from budgets.models import Budget
from chatbot.models import AIDailyUsage, AIRequest, Conversation, Message, ProposedAction
from goals.models import Goal, GoalEntry
from notifications.models import Notification, NotificationPreference
from transactions.models import Account, Category, Transaction
from users.models import User

# table name → (model, lookup from the model to the user, fields left out)
PERSONAL_DATA: dict[str, tuple[type[models.Model], str, set[str]]] = {
    "profile": (User, "pk", {"password", "is_superuser", "is_staff"}),
    "email_addresses": (EmailAddress, "user", set()),
    "connected_accounts": (SocialAccount, "user", {"extra_data"}),
    "accounts": (Account, "user", set()),
    "categories": (Category, "user", set()),
    "transactions": (Transaction, "user", {"import_hash"}),
    "budgets": (Budget, "user", set()),
    "goals": (Goal, "user", set()),
    "goal_entries": (GoalEntry, "goal__user", set()),
    "notifications": (Notification, "user", {"dedupe_key"}),
    "notification_preferences": (NotificationPreference, "user", set()),
    "chat_conversations": (Conversation, "user", set()),
    "chat_messages": (Message, "conversation__user", set()),
    "chat_actions": (ProposedAction, "user", set()),
    "ai_requests": (AIRequest, "user", set()),
    "ai_daily_usage": (AIDailyUsage, "user", set()),
}


def _fields(model: type[models.Model], left_out: set[str]) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in left_out and field.attname not in ("user_id",)
    ]


def personal_rows(*, user) -> Iterator[tuple[str, list[str], list[dict]]]:
    """(table, columns, rows) for every table of PERSONAL_DATA."""
    for table, (model, lookup, left_out) in PERSONAL_DATA.items():
        columns = _fields(model, left_out)
        rows = list(model.objects.filter(**{lookup: user.pk}).order_by("pk").values(*columns))
        yield table, columns, rows


def export_json(*, user) -> bytes:
    data = {table: rows for table, _, rows in personal_rows(user=user)}
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2).encode()


def _csv_cell(value: object) -> object:
    return json.dumps(value, cls=DjangoJSONEncoder) if isinstance(value, (dict, list)) else value


def export_csv_zip(*, user) -> bytes:
    """A zip with one CSV file per table, written so that no cell of the person's
    text runs as a formula when they open it in a spreadsheet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, columns, rows in personal_rows(user=user):
            text = io.StringIO()
            writer = SpreadsheetSafeWriter(text)
            writer.writerow(columns)
            for row in rows:
                writer.writerow(_csv_cell(row[column]) for column in columns)
            archive.writestr(f"{table}.csv", text.getvalue())
    return buffer.getvalue()
