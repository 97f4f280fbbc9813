from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from budgetpay.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_seed

REFUSAL = (
    f"DEBUG is off: the demo account ({DEMO_EMAIL}) has a published password, so seed_demo "
    "does not create it on a server. Pass --force if this really is a demo server."
)


class Command(BaseCommand):
    help = "Create the demo user with six months of data, or reset it to a fresh copy."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Leave an existing demo user as it is (what `make run` does).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Create it even with DEBUG off (the account's password is in the README).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            if options["if_missing"]:
                # `make run` with DEBUG off still starts: it only goes without the demo.
                self.stderr.write(f"No demo user: {REFUSAL}")
                return
            raise CommandError(REFUSAL)
        if options["if_missing"] and get_user_model().objects.filter(email=DEMO_EMAIL).exists():
            self.stdout.write(f"Demo user exists: sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
            return
        user = demo_seed()
        counts = (
            f"{user.transactions.count()} transactions, {user.budgets.count()} budgets, {user.goals.count()} goals, "
            f"{user.notifications.count()} notifications ({user.notifications.filter(is_read=False).count()} unread)"
        )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({counts})."))
        self.stdout.write(f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
