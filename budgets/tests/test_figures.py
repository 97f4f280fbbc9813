"""Figures that must not mislead (issue 13, items 11 to 13), on hand-made ledgers with
exact expected values:

- the summary compares the period so far with the same days of the period before;
- the projection counts fixed payments (rent) and one-offs once and extrapolates only the
  daily pace, and projects nothing in a period's first three days;
- a rollover budget says what was budgeted, what was carried over and what is available.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from budgetpay.testing.clock import freeze_now
from budgetpay.testing.factories import make_transaction
from budgetpay.testing.people import page_client_for
from budgets.models import Budget
from budgets.reports import same_days_before
from budgets.selectors import BudgetNotStarted, ProjectionState, budget_projection, budget_status
from chatbot.context import financial_context
from transactions.models import Category, Transaction

pytestmark = pytest.mark.django_db

D = Decimal
SUMMARY = "/api/v1/reports/summary"
BUDGET_STATUS = "/api/v1/budgets/status"
CATEGORIES = "/api/v1/categories"
INCOME = Transaction.Kind.INCOME


def spend(account, amount: str, on: date, category=None, **extra) -> Transaction:
    return make_transaction(account, amount=amount, on=on, category=category, **extra)


def housing(user) -> Category:
    """The default Housing category every new person has; it starts as a fixed payment."""
    return Category.objects.get(user=user, name="Housing", kind=Category.Kind.EXPENSE)


# --- Item 11: like with like -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "on", "start", "end"),
    [
        ("month", date(2026, 12, 2), date(2026, 11, 1), date(2026, 11, 2)),  # two days against two days
        ("month", date(2027, 1, 15), date(2026, 12, 1), date(2026, 12, 15)),
        ("month", date(2027, 3, 30), date(2027, 2, 1), date(2027, 2, 28)),  # cut to February's length
        ("month", date(2028, 3, 30), date(2028, 2, 1), date(2028, 2, 29)),  # a leap February
        ("month", date(2027, 3, 31), date(2027, 2, 1), date(2027, 2, 28)),  # 31 March: all of February
        ("month", date(2026, 4, 30), date(2026, 3, 1), date(2026, 3, 31)),  # a finished month: all of March
        ("month", date(2026, 5, 30), date(2026, 4, 1), date(2026, 4, 30)),
        ("week", date(2026, 6, 1), date(2026, 5, 25), date(2026, 5, 25)),  # Monday against Monday
        ("week", date(2026, 6, 3), date(2026, 5, 25), date(2026, 5, 27)),  # Monday to Wednesday
        ("week", date(2026, 6, 7), date(2026, 5, 25), date(2026, 5, 31)),  # Sunday: the whole week
        ("year", date(2026, 1, 1), date(2025, 1, 1), date(2025, 1, 1)),
        ("year", date(2028, 2, 29), date(2027, 1, 1), date(2027, 2, 28)),  # 29 February against the 28th
        ("year", date(2028, 3, 1), date(2027, 1, 1), date(2027, 3, 1)),  # the same date, not the same count
        ("year", date(2029, 2, 28), date(2028, 1, 1), date(2028, 2, 28)),  # leaves the leap day out
        ("year", date(2026, 12, 31), date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_the_days_compared_are_the_same_days_of_the_period_before(kind, on, start, end):
    compared = same_days_before(kind, on)
    assert (compared.start, compared.end) == (start, end)


@pytest.fixture
def november_and_december(user, books):
    """On 2 December: two days of December against a whole November would read −96 %."""
    make_transaction(books.main, amount="3000.00", kind=INCOME, on=date(2026, 11, 1), category=books.salary)
    spend(books.main, "100.00", date(2026, 11, 1), books.food)
    spend(books.main, "50.00", date(2026, 11, 2), books.food)
    spend(books.main, "2000.00", date(2026, 11, 20), books.food)  # later in November: not compared
    make_transaction(books.main, amount="3000.00", kind=INCOME, on=date(2026, 12, 1), category=books.salary)
    spend(books.main, "60.00", date(2026, 12, 1), books.food)
    spend(books.main, "30.00", date(2026, 12, 2), books.food)
    spend(books.main, "500.00", date(2026, 12, 20), books.food)  # dated ahead: not yet compared
    return books


def test_the_summary_compares_the_month_so_far_with_the_same_days_of_last_month(auth_client, november_and_december):
    body = auth_client.get(SUMMARY, {"period": "month", "date": "2026-12-02"}).json()
    assert (body["spending"], body["income"]) == ("590.00", "3000.00")  # the month's figures stay whole

    previous = body["previous"]
    assert (previous["start"], previous["end"]) == ("2026-11-01", "2026-11-02")
    assert (previous["period_start"], previous["period_end"], previous["whole_period"]) == (
        "2026-11-01",
        "2026-11-30",
        False,
    )
    assert (previous["income"], previous["spending"], previous["net"]) == ("3000.00", "150.00", "2850.00")
    assert previous["to_date"] == {
        "start": "2026-12-01",
        "end": "2026-12-02",
        "income": "3000.00",
        "spending": "90.00",
        "net": "2910.00",
    }
    assert previous["spending_change"] == "-40.00"  # 90 against 150
    assert previous["income_change"] == "0.00"
    assert previous["net_change"] == "2.11"  # 2910 against 2850


def test_a_finished_month_is_compared_with_the_whole_month_before(auth_client, november_and_december):
    previous = auth_client.get(SUMMARY, {"period": "month", "date": "2026-12-31"}).json()["previous"]
    assert (previous["start"], previous["end"], previous["whole_period"]) == ("2026-11-01", "2026-11-30", True)
    assert (previous["spending"], previous["to_date"]["spending"]) == ("2150.00", "590.00")
    assert previous["spending_change"] == "-72.56"


def test_a_year_is_compared_with_the_same_dates_of_the_year_before(auth_client, books):
    spend(books.main, "10.00", date(2027, 2, 28), books.food)
    spend(books.main, "999.00", date(2027, 3, 1), books.food)  # after 28 February: not compared
    spend(books.main, "30.00", date(2028, 1, 5), books.food)
    previous = auth_client.get(SUMMARY, {"period": "year", "date": "2028-02-29"}).json()["previous"]
    assert (previous["start"], previous["end"]) == ("2027-01-01", "2027-02-28")
    assert (previous["spending"], previous["to_date"]["spending"], previous["spending_change"]) == (
        "10.00",
        "30.00",
        "200.00",
    )


def test_a_week_is_compared_with_the_same_weekdays(auth_client, books):
    spend(books.main, "20.00", date(2026, 5, 26), books.food)  # Tuesday
    spend(books.main, "80.00", date(2026, 5, 29), books.food)  # Friday: not compared on a Wednesday
    spend(books.main, "25.00", date(2026, 6, 2), books.food)
    previous = auth_client.get(SUMMARY, {"period": "week", "date": "2026-06-03"}).json()["previous"]
    assert (previous["start"], previous["end"]) == ("2026-05-25", "2026-05-27")
    assert (previous["spending"], previous["spending_change"]) == ("20.00", "25.00")


def test_the_dashboard_card_says_which_days_it_compares(monkeypatch, user, november_and_december):
    freeze_now(monkeypatch, datetime(2026, 12, 2, 12, tzinfo=UTC))
    client = page_client_for(user)

    html = client.get("/").content.decode()
    assert "▼ 40%</span> vs 1–2 Nov" in html
    assert "vs November" not in html

    # An earlier, finished month is compared with the whole month before it.
    october = make_transaction(november_and_december.main, amount="1000.00", on=date(2026, 10, 5))
    html = client.get("/?month=2026-11").content.decode()
    assert "▲ 115%</span> vs October" in html  # 2150 against 1000
    october.delete()

    freeze_now(monkeypatch, datetime(2026, 12, 1, 12, tzinfo=UTC))
    html = client.get("/").content.decode()
    assert "▼ 40%</span> vs 1 Nov" in html  # 60 against 100


# --- Item 12: a projection that can be defended ------------------------------------------------


@pytest.fixture
def june(user, books):
    """June 2026 (30 days) with rent paid on the 1st and day-to-day groceries on the 2nd to 4th."""
    spend(books.main, "1200.00", date(2026, 6, 1), housing(user))
    for day, amount in ((2, "40.00"), (3, "35.00"), (4, "45.00")):
        spend(books.main, amount, date(2026, 6, day), books.food)
    return books


def more_groceries(books) -> None:
    """June's groceries on the 7th to 10th: 300.00 in all by the 10th."""
    for day, amount in ((7, "60.00"), (9, "20.00"), (10, "100.00")):
        spend(books.main, amount, date(2026, 6, day), books.food)


def all_spending_budget(user, amount: str = "3600.00") -> Budget:
    return Budget.objects.create(user=user, amount=D(amount), start_date=date(2026, 1, 1))


def test_housing_starts_fixed(user):
    assert housing(user).is_fixed


@pytest.mark.parametrize("day", [1, 2, 3])
def test_nothing_is_projected_in_the_first_three_days(user, june, day):
    budget = all_spending_budget(user)
    projection = budget_projection(budget=budget, on=date(2026, 6, day))
    assert projection.state == ProjectionState.EARLY
    assert (projection.spent, projection.daily_pace) == (None, None)
    assert projection.fixed == D("1200.00")


def test_a_month_with_rent_on_day_one_projects_rent_plus_the_daily_pace(user, june):
    budget = all_spending_budget(user)

    day_four = budget_projection(budget=budget, on=date(2026, 6, 4))
    # Groceries 40 + 35 + 45 = 120 over 4 days: 30.00 a day for 30 days, plus the rent once.
    assert day_four.state == ProjectionState.PROJECTED
    assert (day_four.fixed, day_four.one_offs, day_four.daily_pace) == (D("1200.00"), D("0.00"), D("30.00"))
    assert day_four.spent == D("2100.00")  # not 1320 × 30 / 4 = 9900

    more_groceries(june)
    day_ten = budget_projection(budget=budget, on=date(2026, 6, 10))
    assert (day_ten.daily_pace, day_ten.spent) == (D("30.00"), D("2100.00"))  # 300 over 10 days

    last_day = budget_projection(budget=budget, on=date(2026, 6, 30))
    assert last_day.spent == budget_status(budget=budget, on=date(2026, 6, 30)).spent == D("1500.00")


def test_spending_entered_for_later_days_is_counted_once(user, june):
    budget = all_spending_budget(user)
    more_groceries(june)  # on the 4th, the 7th to 10th are still ahead
    projection = budget_projection(budget=budget, on=date(2026, 6, 4))
    assert (projection.scheduled, projection.daily_pace) == (D("180.00"), D("30.00"))
    assert projection.spent == D("2280.00")  # 1200 + 180 + 30 × 30


def test_a_one_off_is_counted_once(user, june):
    budget = all_spending_budget(user)
    more_groceries(june)
    spend(june.main, "900.00", date(2026, 6, 6))  # a quarter of 3600, uncategorised: a one-off
    projection = budget_projection(budget=budget, on=date(2026, 6, 10))
    assert (projection.fixed, projection.one_offs, projection.daily_pace) == (D("1200.00"), D("900.00"), D("30.00"))
    assert projection.spent == D("3000.00")  # 1200 + 900 + 30 × 30


def test_a_one_off_is_a_single_expense_of_at_least_a_quarter_of_the_budget(user, books):
    budget = Budget.objects.create(user=user, category=books.food, amount=D("400.00"), start_date=date(2026, 1, 1))
    spend(books.main, "100.00", date(2026, 6, 5), books.food)  # exactly a quarter: a one-off
    spend(books.main, "99.99", date(2026, 6, 6), books.food)  # under it: day-to-day
    projection = budget_projection(budget=budget, on=date(2026, 6, 10))
    assert (projection.fixed, projection.one_offs, projection.daily_pace) == (D("0.00"), D("100.00"), D("10.00"))
    assert projection.spent == D("399.97")  # 100 + 99.99 × 30 / 10


def test_a_budget_for_the_fixed_category_itself_projects_what_was_paid(user, june):
    rent = Budget.objects.create(user=user, category=housing(user), amount=D("1200.00"), start_date=date(2026, 1, 1))
    projection = budget_projection(budget=rent, on=date(2026, 6, 10))
    assert (projection.fixed, projection.daily_pace, projection.spent) == (D("1200.00"), D("0.00"), D("1200.00"))


def test_a_weekly_budget_is_early_until_thursday(user, books):
    budget = Budget.objects.create(
        user=user, category=books.food, amount=D("210.00"), period=Budget.Period.WEEKLY, start_date=date(2026, 1, 1)
    )
    for day in (1, 2, 3, 4):  # Monday 1 June to Thursday
        spend(books.main, "20.00", date(2026, 6, day), books.food)
    assert budget_projection(budget=budget, on=date(2026, 6, 3)).state == ProjectionState.EARLY
    thursday = budget_projection(budget=budget, on=date(2026, 6, 4))
    assert (thursday.state, thursday.daily_pace, thursday.spent) == (ProjectionState.PROJECTED, D("20.00"), D("140.00"))


def test_projection_before_the_budget_starts_is_refused(user):
    budget = Budget.objects.create(user=user, amount=D("100.00"), start_date=date(2026, 6, 1))
    with pytest.raises(BudgetNotStarted):
        budget_projection(budget=budget, on=date(2026, 5, 31))


def test_the_status_api_answers_null_while_early_and_the_split_after(auth_client, user, june):
    budget = all_spending_budget(user)

    early = auth_client.get(BUDGET_STATUS, {"date": "2026-06-02"}).json()["results"][0]
    assert early["budget_id"] == budget.pk
    assert (early["projection"], early["projected_spent"], early["daily_pace"]) == ("early", None, None)
    assert (early["fixed_spent"], early["one_off_spent"]) == ("1200.00", "0.00")

    body = auth_client.get(f"/api/v1/budgets/{budget.pk}/status", {"date": "2026-06-04"}).json()
    assert (body["projection"], body["projected_spent"]) == ("projected", "2100.00")
    assert (body["fixed_spent"], body["one_off_spent"], body["scheduled_spent"], body["daily_pace"]) == (
        "1200.00",
        "0.00",
        "0.00",
        "30.00",
    )


def test_the_assistants_context_projects_nothing_early(user, june):
    all_spending_budget(user)
    assert financial_context(user=user, today=date(2026, 6, 2))["budgets"][0]["projected_spend"] is None
    assert financial_context(user=user, today=date(2026, 6, 4))["budgets"][0]["projected_spend"] == "2100.00"


def test_marking_a_category_fixed_through_the_api_changes_the_projection(auth_client, user, books):
    budget = all_spending_budget(user)
    rent = auth_client.post(CATEGORIES, {"name": "Rent", "is_fixed": False}, format="json").json()
    # 800 is under a quarter of 3600, so only the flag keeps it from being extrapolated.
    spend(books.main, "800.00", date(2026, 6, 1), Category.objects.get(pk=rent["id"]))
    for day, amount in ((2, "40.00"), (3, "35.00"), (4, "45.00")):
        spend(books.main, amount, date(2026, 6, day), books.food)
    url = f"/api/v1/budgets/{budget.pk}/status"

    assert auth_client.get(url, {"date": "2026-06-04"}).json()["projected_spent"] == "6900.00"  # 920 × 30 / 4
    assert auth_client.patch(f"{CATEGORIES}/{rent['id']}", {"is_fixed": True}, format="json").status_code == 200
    body = auth_client.get(url, {"date": "2026-06-04"}).json()
    assert (body["fixed_spent"], body["projected_spent"]) == ("800.00", "1700.00")  # 800 + 30 × 30


# --- Item 13: what a rollover budget has to spend ----------------------------------------------


@pytest.fixture
def eating_out(user, books):
    """70.00 a month with rollover from May 2026; May overspent by 64.46."""
    budget = Budget.objects.create(
        user=user, name="Eating out", category=books.food, amount=D("70.00"), rollover=True, start_date=date(2026, 5, 1)
    )
    spend(books.main, "134.46", date(2026, 5, 12), books.food)
    spend(books.main, "38.46", date(2026, 6, 5), books.food)
    return budget


def test_a_negative_carry_over_is_shown_in_the_api(auth_client, eating_out):
    body = auth_client.get(f"/api/v1/budgets/{eating_out.pk}/status", {"date": "2026-06-10"}).json()
    assert (body["budgeted"], body["carried_over"], body["available"]) == ("70.00", "-64.46", "5.54")
    assert (body["spent"], body["remaining"], body["health"]) == ("38.46", "-32.92", "over")

    may = auth_client.get(f"/api/v1/budgets/{eating_out.pk}/status", {"date": "2026-05-31"}).json()
    assert (may["budgeted"], may["carried_over"], may["available"]) == ("70.00", "0.00", "70.00")  # the first period

    summary = auth_client.get(SUMMARY, {"period": "month", "date": "2026-06-10"}).json()
    line = next(line for line in summary["by_category"] if line["budget"])
    assert (line["budget"]["budgeted"], line["budget"]["carried_over"], line["budget"]["available"]) == (
        "70.00",
        "-64.46",
        "5.54",
    )


def test_a_positive_carry_over_is_shown_in_the_api(auth_client, eating_out):
    body = auth_client.get(f"/api/v1/budgets/{eating_out.pk}/status", {"date": "2026-07-10"}).json()
    # June left 5.54 − 38.46 = −32.92; July gets 70.00 − 32.92.
    assert (body["budgeted"], body["carried_over"], body["available"]) == ("70.00", "-32.92", "37.08")
    eating_out.amount = D("200.00")
    eating_out.save()
    body = auth_client.get(f"/api/v1/budgets/{eating_out.pk}/status", {"date": "2026-06-10"}).json()
    assert (body["budgeted"], body["carried_over"], body["available"]) == ("200.00", "65.54", "265.54")


def test_the_budget_row_explains_a_carry_over(monkeypatch, user, eating_out):
    freeze_now(monkeypatch, datetime(2026, 6, 10, 12, tzinfo=UTC))
    client = page_client_for(user)
    for page in ("/budgets/", "/"):
        html = " ".join(client.get(page).content.decode().split())
        assert '<strong>$38.46</strong> <span class="muted">of $5.54 available</span>' in html
        assert "$70.00 budgeted − $64.46 carried over (overspent before)" in html

    eating_out.amount = D("200.00")
    eating_out.save()
    html = " ".join(client.get("/budgets/").content.decode().split())
    assert "of $265.54 available" in html and "$200.00 budgeted + $65.54 carried over" in html

    eating_out.rollover = False
    eating_out.save()
    html = " ".join(client.get("/budgets/").content.decode().split())
    assert '<span class="muted">of $200.00</span>' in html and "carried over" not in html
