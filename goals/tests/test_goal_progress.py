import math
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from budgetpay.testing.factories import CONTRIBUTION, WITHDRAWAL, make_goal
from goals.models import Goal
from goals.selectors import goal_list, goal_progress

pytestmark = pytest.mark.django_db

D = Decimal


def progress(goal: Goal, today: date):
    return goal_progress(goal=goal_list(user=goal.user).get(pk=goal.pk), today=today)


def ceil_cents(value: Fraction) -> Decimal:
    return D(math.ceil(value * 100)) / 100


def new_years_goal(user, *entries: tuple, target_date: date = date(2026, 12, 31), **extra) -> Goal:
    """A goal of 1000.00 (unless `extra` says otherwise) created on 1 January 2026, due on
    `target_date`, with (kind, amount, date) entries."""
    return make_goal(user, target_date=target_date, created=date(2026, 1, 1), entries=entries, **extra)


def test_saved_is_contributions_minus_withdrawals_and_percent_is_uncapped(user):
    goal = new_years_goal(
        user,
        (CONTRIBUTION, "400.00", date(2026, 2, 1)),
        (CONTRIBUTION, "300.00", date(2026, 3, 1)),
        (WITHDRAWAL, "100.00", date(2026, 4, 1)),
        target="500.00",
    )
    result = progress(goal, date(2026, 5, 1))
    assert result.saved == D("600.00")
    assert result.percent == D("120.00")
    assert result.remaining == D("0.00")
    assert result.status == "achieved"
    assert (result.required_per_week, result.required_per_month) == (D("0.00"), D("0.00"))


@pytest.mark.parametrize(("saved", "status"), [("497.25", "on_track"), ("497.24", "behind"), ("900.00", "on_track")])
def test_on_track_means_at_or_above_the_straight_line(user, saved, status):
    # 181 of the 364 days from 1 Jan to 31 Dec have passed by 1 July: expected 1000 × 181 / 364 = 497.25.
    goal = new_years_goal(user, (CONTRIBUTION, saved, date(2026, 1, 5)))
    result = progress(goal, date(2026, 7, 1))
    assert result.expected_saved == D("497.25")
    assert result.status == status


def test_required_per_week_and_month_spread_the_remaining_over_the_days_left(user):
    goal = new_years_goal(user, (CONTRIBUTION, "497.00", date(2026, 2, 1)))
    result = progress(goal, date(2026, 7, 1))
    days_left = (date(2026, 12, 31) - date(2026, 7, 1)).days + 1
    assert result.days_left == days_left == 184
    assert result.remaining == D("503.00")
    assert result.required_per_week == ceil_cents(Fraction(503) * 7 / days_left)
    assert result.required_per_month == ceil_cents(Fraction(503) * Fraction("365.2425") / 12 / days_left)


def test_with_less_than_a_week_or_month_left_the_whole_remaining_is_due(user):
    goal = new_years_goal(user, target_date=date(2026, 7, 20))
    soon = progress(goal, date(2026, 7, 15))  # 6 days left
    assert (soon.required_per_week, soon.required_per_month) == (D("1000.00"), D("1000.00"))
    weeks = progress(goal, date(2026, 7, 7))  # 14 days left
    assert (weeks.required_per_week, weeks.required_per_month) == (D("500.00"), D("1000.00"))


def test_after_the_target_date_an_unachieved_goal_is_behind_and_all_of_it_is_due(user):
    goal = new_years_goal(user, (CONTRIBUTION, "999.99", date(2026, 6, 1)), target_date=date(2026, 6, 30))
    on_the_day = progress(goal, date(2026, 6, 30))
    assert on_the_day.days_left == 1
    assert on_the_day.status == "behind"  # the line reaches the whole target on the target date
    late = progress(goal, date(2026, 7, 1))
    assert (late.status, late.days_left, late.remaining) == ("behind", 0, D("0.01"))
    assert (late.required_per_week, late.required_per_month) == (D("0.01"), D("0.01"))


def test_without_a_target_date_a_goal_is_on_track_until_achieved(user):
    goal = make_goal(user, entries=((CONTRIBUTION, "10.00", date(2026, 1, 1)),))
    result = progress(goal, date(2030, 1, 1))
    assert result.status == "on_track"
    assert (result.expected_saved, result.days_left) == (None, None)
    assert (result.required_per_week, result.required_per_month) == (None, None)
    assert (result.saved, result.percent, result.remaining) == (D("10.00"), D("1.00"), D("990.00"))


def test_the_line_starts_on_the_creation_day_in_the_users_timezone(user):
    user.timezone = "America/New_York"
    user.save()
    goal = make_goal(user, target_date=date(2026, 1, 10))
    # 03:00 UTC on 1 January is still 31 December in New York.
    Goal.objects.filter(pk=goal.pk).update(created_at=datetime(2026, 1, 1, 3, tzinfo=UTC))
    # 5 of the 10 days from 31 Dec to 10 Jan have passed by 5 January.
    assert progress(goal, date(2026, 1, 5)).expected_saved == D("500.00")
