"""The transactions tests' fixtures (users, clients, main_account, food, salary) are the
root conftest's."""

# Temporary re-export, until the tests import it from budgetpay.testing.people.
from budgetpay.testing.people import client_for  # noqa: F401
