"""Temporary re-exports: the ledger factories live in budgetpay.testing.factories; this module
goes once the tests import them from there."""

from budgetpay.testing.factories import make_account, make_category, make_transaction  # noqa: F401
