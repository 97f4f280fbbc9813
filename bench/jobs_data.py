"""The fan-out bench's people, bulk-written through the ORM into a migrated database (a Django
process pointed at it by DATABASE_URL):

python -m bench.jobs_data --count N --timezone TZ --devices FILE --webhook-base URL --out FILE
    N people in time zone TZ, verified email addresses, a "Main account" with a month's income
    and a few expenses each (so the rules' insight has figures to talk about), the device in
    FILE (PushSubscription.toJSON() dicts, one per person), a webhook at URL/<index>, and every
    scheduled type on for push, webhook and email (at once). Writes {"webhook_secrets": [...],
    "entry_default": the morning fan-out's task name} to the --out file.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "budgetpay.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.utils import timezone  # noqa: E402

from notifications import tasks  # noqa: E402
from notifications.models import (  # noqa: E402
    Channel,
    EmailTiming,
    Notification,
    NotificationPreference,
    PushSubscription,
    Webhook,
)
from notifications.webhooks import new_secret  # noqa: E402
from transactions.models import Account, Transaction  # noqa: E402
from users.models import User  # noqa: E402

BATCH = 2000
MORNING_TASK = "notifications.tasks.morning_tick"
INSIGHTS_TASK = "notifications.tasks.daily_insights_fan_out"
# What the morning run may send: the daily insight's kinds and the clock's own alerts.
SCHEDULED_TYPES = [
    Notification.Type.BUDGET_INSIGHT,
    Notification.Type.SAVING_TIP,
    Notification.Type.GOAL_PROGRESS,
    Notification.Type.SPENDING_ALERT,
    Notification.Type.ACTIVITY_REMINDER,
    Notification.Type.GOAL_DEADLINE,
    Notification.Type.WEEKLY_SUMMARY,
    Notification.Type.BUDGET_PACE,
]


def entry_default() -> str:
    """The morning fan-out's entry task: morning_tick where it exists, else the daily insights'."""
    return MORNING_TASK if hasattr(tasks, "morning_tick") else INSIGHTS_TASK


def create_people(count: int, zone: str, devices: list[dict], webhook_base: str) -> list[str]:
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"jobs{i}@bench.invalid", password=unusable, full_name=f"Jobs {i}", timezone=zone)
            for i in range(count)
        ],
        batch_size=BATCH,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users], batch_size=BATCH
    )
    accounts = Account.objects.bulk_create(
        [Account(user=user, name="Main account", kind=Account.Kind.BANK, currency="USD") for user in users],
        batch_size=BATCH,
    )
    today = timezone.localdate()
    rows = []
    for index, (user, account) in enumerate(zip(users, accounts, strict=True)):
        rows.append(
            Transaction(user=user, account=account, kind=Transaction.Kind.INCOME, amount=Decimal("2400.00"), date=today)
        )
        for day in range(1 + index % 4):
            rows.append(
                Transaction(
                    user=user,
                    account=account,
                    kind=Transaction.Kind.EXPENSE,
                    amount=Decimal("23.40") + 7 * day,
                    date=today - timedelta(days=day),
                    description=f"Groceries {day}",
                )
            )
    Transaction.objects.bulk_create(rows, batch_size=BATCH)
    PushSubscription.objects.bulk_create(
        [
            PushSubscription(
                user=user, endpoint=device["endpoint"], p256dh=device["keys"]["p256dh"], auth=device["keys"]["auth"]
            )
            for user, device in zip(users, devices, strict=True)
        ],
        batch_size=BATCH,
    )
    secrets = [new_secret() for _ in users]
    Webhook.objects.bulk_create(
        [
            Webhook(user=user, url=f"{webhook_base}/{index}", secret=secret)
            for index, (user, secret) in enumerate(zip(users, secrets, strict=True))
        ],
        batch_size=BATCH,
    )
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(
                user=user,
                type=type,
                channel=channel,
                enabled=True,
                email_timing=EmailTiming.IMMEDIATE if channel == Channel.EMAIL else "",
            )
            for user in users
            for type in SCHEDULED_TYPES
            for channel in (Channel.PUSH, Channel.WEBHOOK, Channel.EMAIL)
        ],
        batch_size=BATCH,
    )
    return secrets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument("--devices", required=True)
    parser.add_argument("--webhook-base", required=True)
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    with open(arguments.devices) as devices:
        secrets = create_people(arguments.count, arguments.timezone, json.load(devices), arguments.webhook_base)
    with open(arguments.out, "w") as out:
        json.dump({"webhook_secrets": secrets, "entry_default": entry_default()}, out)


if __name__ == "__main__":
    main()
