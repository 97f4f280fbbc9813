"""Temporary re-exports: the goal factory lives in budgetpay.testing.factories; this module
goes once the tests import it from there."""

from budgetpay.testing.factories import CONTRIBUTION, WITHDRAWAL, make_goal  # noqa: F401
