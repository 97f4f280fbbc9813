from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from budgetpay.testing.api import assert_refused_naming, bad_values
from budgetpay.testing.clock import freeze_now
from budgetpay.testing.factories import CONTRIBUTION, WITHDRAWAL, make_account, make_goal
from budgetpay.testing.people import client_for
from goals.models import Goal, GoalEntry
from goals.services import goal_update
from transactions.models import Account

pytestmark = pytest.mark.django_db

GOALS = "/api/v1/goals"


def entries_url(goal: Goal) -> str:
    return f"{GOALS}/{goal.pk}/entries"


def test_create_a_goal_linked_to_a_savings_account(monkeypatch, auth_client, user):
    freeze_now(monkeypatch, datetime(2026, 1, 1, 12, tzinfo=UTC))
    savings = make_account(user, name="Rainy day", kind=Account.Kind.SAVINGS)
    response = auth_client.post(
        GOALS,
        {"name": "Bike", "target_amount": "700.00", "target_date": "2026-01-14", "account": savings.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["target_amount"], body["target_date"], body["account"]) == (
        "Bike",
        "700.00",
        "2026-01-14",
        savings.pk,
    )
    assert body["progress"] == {
        "saved": "0.00",
        "percent": "0.00",
        "remaining": "700.00",
        "expected_saved": "0.00",
        "days_left": 14,
        "required_per_week": "350.00",
        "required_per_month": "700.00",
        "status": "on_track",
    }
    assert Goal.objects.get(pk=body["id"]).user == user


def test_crud_and_entries_round_trip(monkeypatch, auth_client, user):
    freeze_now(monkeypatch, datetime(2026, 5, 1, 12, tzinfo=UTC))
    goal_id = auth_client.post(GOALS, {"name": "Laptop", "target_amount": "1000.00"}, format="json").json()["id"]
    goal = Goal.objects.get(pk=goal_id)

    first = auth_client.post(entries_url(goal), {"amount": "300.00", "note": "May"}, format="json")
    assert first.status_code == 201, first.json()
    assert (first.json()["kind"], first.json()["date"], first.json()["goal"]) == ("contribution", "2026-05-01", goal_id)
    withdrawal = {"kind": "withdrawal", "amount": "50.00", "date": "2026-05-02"}
    out = auth_client.post(entries_url(goal), withdrawal, format="json")
    assert out.status_code == 201, out.json()

    listed = auth_client.get(entries_url(goal)).json()
    assert [row["amount"] for row in listed["results"]] == ["50.00", "300.00"]  # newest first

    detail = auth_client.get(f"{GOALS}/{goal_id}").json()
    assert (detail["progress"]["saved"], detail["progress"]["percent"]) == ("250.00", "25.00")
    assert detail["progress"]["required_per_week"] is None

    patched = auth_client.patch(f"{GOALS}/{goal_id}", {"target_amount": "250.00"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["progress"]["status"] == "achieved"

    assert auth_client.delete(f"{entries_url(goal)}/{out.json()['id']}").status_code == 204
    assert auth_client.get(f"{GOALS}/{goal_id}").json()["progress"]["saved"] == "300.00"
    assert auth_client.delete(f"{GOALS}/{goal_id}").status_code == 204
    assert not GoalEntry.objects.exists()


def test_entry_date_defaults_to_today_in_the_users_timezone(monkeypatch, user):
    user.timezone = "Pacific/Auckland"
    user.save()
    goal = make_goal(user)
    # 11:30 UTC on 5 April 2026: Auckland is back on NZST (UTC+12), so it is 23:30 on the 5th.
    freeze_now(monkeypatch, datetime(2026, 4, 5, 11, 30, tzinfo=UTC))
    response = client_for(user).post(entries_url(goal), {"amount": "1.00"}, format="json")
    assert response.json()["date"] == "2026-04-05"


def test_a_withdrawal_cannot_take_saved_below_zero(auth_client, user):
    goal = make_goal(
        user, entries=((CONTRIBUTION, "100.00", date(2026, 1, 1)), (WITHDRAWAL, "30.00", date(2026, 1, 2)))
    )
    response = auth_client.post(entries_url(goal), {"kind": "withdrawal", "amount": "70.01"}, format="json")
    assert response.status_code == 400
    assert "70.00" in response.json()["errors"]["amount"][0]
    exact = auth_client.post(entries_url(goal), {"kind": "withdrawal", "amount": "70.00"}, format="json")
    assert exact.status_code == 201
    assert GoalEntry.objects.filter(goal=goal).count() == 3


def test_deleting_a_contribution_cannot_take_saved_below_zero(auth_client, user):
    goal = make_goal(
        user, entries=((CONTRIBUTION, "100.00", date(2026, 1, 1)), (WITHDRAWAL, "60.00", date(2026, 1, 2)))
    )
    contribution = goal.entries.get(kind=CONTRIBUTION)
    response = auth_client.delete(f"{entries_url(goal)}/{contribution.pk}")
    assert response.status_code == 400
    assert "below zero" in response.json()["message"]
    assert GoalEntry.objects.filter(pk=contribution.pk).exists()


def test_another_users_goal_and_entries_are_not_found(user, other_client):
    goal = make_goal(user, entries=((CONTRIBUTION, "10.00", date(2026, 1, 1)),))
    entry = goal.entries.get()
    url = f"{GOALS}/{goal.pk}"
    assert other_client.get(url).status_code == 404
    assert other_client.patch(url, {"name": "Mine now"}, format="json").status_code == 404
    assert other_client.put(url, {"name": "Mine", "target_amount": "1.00"}, format="json").status_code == 404
    assert other_client.delete(url).status_code == 404
    assert other_client.get(entries_url(goal)).status_code == 404
    assert other_client.post(entries_url(goal), {"amount": "5.00"}, format="json").status_code == 404
    assert other_client.delete(f"{entries_url(goal)}/{entry.pk}").status_code == 404
    assert other_client.get(GOALS).json()["count"] == 0
    goal.refresh_from_db()
    assert goal.name == "Holiday"
    assert goal.entries.count() == 1


def test_an_entry_is_only_found_under_its_own_goal(auth_client, user):
    one = make_goal(user, name="One", entries=((CONTRIBUTION, "10.00", date(2026, 1, 1)),))
    two = make_goal(user, name="Two")
    assert auth_client.delete(f"{entries_url(two)}/{one.entries.get().pk}").status_code == 404
    assert one.entries.count() == 1


def test_another_users_account_is_refused(auth_client, user, other_user):
    theirs = make_account(other_user, name="Their savings", kind=Account.Kind.SAVINGS)
    response = auth_client.post(GOALS, {"name": "Car", "target_amount": "10.00", "account": theirs.pk}, format="json")
    assert response.status_code == 400
    assert "account" in response.json()["errors"]
    goal = make_goal(user)
    response = auth_client.patch(f"{GOALS}/{goal.pk}", {"account": theirs.pk}, format="json")
    assert response.status_code == 400
    assert "account" in response.json()["errors"]


GOAL_BAD_INPUT = bad_values(
    target_amount=["0", "-1.00", "NaN", "Infinity", "12345678901234567890", "1.001"],
    target_date=["2026-02-30", "31/12/2026"],
    name=[""],
    account=["savings"],
)


@pytest.mark.parametrize(("field", "value"), GOAL_BAD_INPUT)
def test_bad_goal_input_is_a_400_naming_the_field(auth_client, field, value):
    body = {"name": "Car", "target_amount": "100.00", field: value}
    response = auth_client.post(GOALS, body, format="json")
    assert_refused_naming(response, field)
    assert not Goal.objects.exists()


ENTRY_BAD_INPUT = bad_values(
    amount=["0.00", "-5", "NaN", "-Infinity", "12345678901234567890"],
    kind=["gift"],
    date=["2026-02-30"],
    note=["n" * 256],
)


@pytest.mark.parametrize(("field", "value"), ENTRY_BAD_INPUT)
def test_bad_entry_input_is_a_400_naming_the_field(auth_client, user, field, value):
    goal = make_goal(user)
    response = auth_client.post(entries_url(goal), {"amount": "5.00", field: value}, format="json")
    assert_refused_naming(response, field)
    assert not GoalEntry.objects.exists()


def test_a_wrong_entry_kind_lists_the_allowed_ones(auth_client, user):
    response = auth_client.post(entries_url(make_goal(user)), {"amount": "5.00", "kind": "gift"}, format="json")
    assert "contribution, withdrawal" in response.json()["errors"]["kind"][0]


@pytest.mark.parametrize("rows", [3, 30])
def test_goal_list_query_count_does_not_grow_with_goals(django_assert_max_num_queries, user, rows):
    for n in range(rows):
        make_goal(
            user,
            name=f"Goal {n}",
            target_date=date(2030, 1, 1) if n % 2 else None,
            entries=((CONTRIBUTION, "20.00", date(2026, 1, 1)), (WITHDRAWAL, "5.00", date(2026, 1, 2))),
        )
    client = client_for(user)
    # token user, count, page (with the saved sums)
    with django_assert_max_num_queries(3):
        response = client.get(f"{GOALS}?page_size=100")
    results = response.json()["results"]
    assert len(results) == rows
    assert {row["progress"]["saved"] for row in results} == {"15.00"}


def test_goal_ids_that_are_not_numbers_are_not_found(auth_client):
    assert auth_client.get(f"{GOALS}/abc").status_code == 404
    assert auth_client.get(f"{GOALS}/99999999999999999999/entries").status_code == 404


def test_an_update_is_checked_against_the_whole_model(auth_client, user):
    """goal_update ran only Goal.clean() before model_update: a row the model refuses (here
    a blank name, which a write outside the services could leave) was saved again with a
    200. Now the whole row is validated and the update answers 400 naming the field."""
    goal = make_goal(user, name="Bike", target="700.00")
    Goal.objects.filter(pk=goal.pk).update(name="")
    response = auth_client.patch(f"{GOALS}/{goal.pk}", {"target_amount": "800.00"}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {"name": ["This field cannot be blank."]}
    assert response.json()["message"] == "name: This field cannot be blank."
    goal.refresh_from_db()
    assert str(goal.target_amount) == "700.00"


def test_the_service_refuses_what_the_model_refuses(user):
    goal = make_goal(user, name="Bike", target="700.00")
    with pytest.raises(ValidationError) as error:
        goal_update(goal=goal, name="")  # saved as it was before model_update
    assert error.value.message_dict == {"name": ["This field cannot be blank."]}
    with pytest.raises(TypeError):
        goal_update(goal=goal, user=user)
    goal.refresh_from_db()
    assert goal.name == "Bike"
