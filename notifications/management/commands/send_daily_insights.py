from django.core.management.base import BaseCommand

from budgetpay import jobs
from notifications import insights, tasks


class Command(BaseCommand):
    help = (
        "Send each active user today's insight (their own date), at most one a day; safe to run again. "
        "The job engine's schedule sends it at each person's own morning (MORNING_HOUR local time, "
        "notifications.tasks.morning_tick every 15 minutes), with the rest of their morning's alerts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the people due to the job engine's workers in chunks instead of writing here.",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["enqueue"]:
            sizes = tasks.daily_insights_fan_out()
            self.stdout.write(
                f"Daily insights: {sum(sizes)} people due, in {len(sizes)} job(s) (job engine: {jobs.mode()})."
            )
            return
        due = insights.daily_insights_due()
        sent = skipped = 0
        for start in range(0, len(due), tasks.DAILY_INSIGHTS_CHUNK):
            chunk_sent, chunk_skipped = insights.daily_insights_send(due[start : start + tasks.DAILY_INSIGHTS_CHUNK])
            sent, skipped = sent + chunk_sent, skipped + chunk_skipped
        self.stdout.write(
            f"Daily insights: {sent} sent, {skipped} skipped (muted or over the AI limit); "
            "those who had today's already were not due."
        )
