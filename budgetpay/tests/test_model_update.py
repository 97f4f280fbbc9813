"""budgetpay.services.model_update, the one way a service changes a row's fields."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from budgetpay.services import model_update
from budgetpay.testing.factories import make_goal
from goals.models import Goal

pytestmark = pytest.mark.django_db


def test_it_saves_only_the_given_fields(user):
    goal = make_goal(user, name="Holiday", target="1000.00")
    Goal.objects.filter(pk=goal.pk).update(target_amount=Decimal("2000.00"))  # changed elsewhere meanwhile

    model_update(instance=goal, fields={"name": "Trip"}, allowed={"name", "target_amount"})

    stored = Goal.objects.get(pk=goal.pk)
    assert (stored.name, stored.target_amount) == ("Trip", Decimal("2000.00"))


def test_it_refuses_what_the_model_refuses_and_writes_nothing(user):
    goal = make_goal(user, name="Holiday")
    with pytest.raises(ValidationError) as refused:
        model_update(
            instance=goal, fields={"name": "", "target_amount": Decimal("0")}, allowed={"name", "target_amount"}
        )
    assert {"name", "target_amount"} <= set(refused.value.message_dict)
    assert Goal.objects.get(pk=goal.pk).name == "Holiday"


def test_a_field_the_service_does_not_allow_is_a_programming_error(user):
    goal = make_goal(user)
    with pytest.raises(TypeError, match="user"):
        model_update(instance=goal, fields={"user": None}, allowed={"name"})


def test_the_service_check_runs_after_the_model_validation(user):
    goal = make_goal(user, name="Holiday")

    def no_trips(row: Goal) -> None:
        if row.name == "Trip":
            raise ValidationError({"name": "No trips."})

    with pytest.raises(ValidationError, match="No trips"):
        model_update(instance=goal, fields={"name": "Trip"}, allowed={"name"}, check=no_trips)
    assert Goal.objects.get(pk=goal.pk).name == "Holiday"
