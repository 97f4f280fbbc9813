from budgets.tests.conftest import books, other_client  # noqa: F401  shared fixtures
