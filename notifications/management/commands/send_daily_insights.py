from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from budgetpay.llm import DailyLimitReached
from budgetpay.periods import user_today
from notifications.insights import insight_generate


class Command(BaseCommand):
    help = (
        "Send each active user today's insight (their own date), at most one a day; "
        "safe to run again, e.g. hourly from cron."
    )

    def handle(self, *args: object, **options: object) -> None:
        sent = skipped = 0
        for user in get_user_model().objects.filter(is_active=True).iterator():
            try:
                notification = insight_generate(
                    user=user, dedupe_key=f"daily-insight:{user_today(user).isoformat()}", requested=False
                )
            except DailyLimitReached:
                notification = None
            if notification is None:
                skipped += 1
            else:
                sent += 1
        self.stdout.write(
            f"Daily insights: {sent} sent, {skipped} skipped (already sent today, muted or over the AI limit)."
        )
