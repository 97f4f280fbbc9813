"""Temporary re-exports: these helpers live in budgetpay.testing (people, clock, factories);
this module goes once the tests import them from there."""

from budgetpay.testing.clock import (  # noqa: F401
    BOUNDS,
    days,
    freeze_now,
    local_noon,
    month_bounds,
    week_bounds,
    year_bounds,
)
from budgetpay.testing.factories import rolled_back  # noqa: F401
from budgetpay.testing.people import client_for  # noqa: F401
