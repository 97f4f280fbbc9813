from django.core.management.base import BaseCommand

from django.contrib.auth import get_user_model

from budgets.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo user with six months of data, or reset it to a fresh copy."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Leave an existing demo user as it is (what `make run` does).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["if_missing"] and get_user_model().objects.filter(email=DEMO_EMAIL).exists():
            self.stdout.write(f"Demo user exists: sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
            return
        user = demo_seed()
        counts = (
            f"{user.transactions.count()} transactions, {user.budgets.count()} budgets, {user.goals.count()} goals"
        )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({counts})."))
        self.stdout.write(f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
