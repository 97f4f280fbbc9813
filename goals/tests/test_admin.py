from datetime import date

import pytest

from budgetpay.testing.factories import CONTRIBUTION, make_goal
from budgetpay.testing.people import make_user, page_client_for

pytestmark = pytest.mark.django_db


def test_goal_admin_lists_and_shows_entries_inline(user):
    goal = make_goal(user, name="Boat", entries=((CONTRIBUTION, "12.34", date(2026, 1, 1)),))
    client = page_client_for(make_user("admin@example.com", is_staff=True, is_superuser=True))
    listing = client.get("/admin/goals/goal/", {"q": "boat"})
    assert listing.status_code == 200
    assert "Boat" in listing.content.decode()
    change = client.get(f"/admin/goals/goal/{goal.pk}/change/")
    assert change.status_code == 200
    assert "12.34" in change.content.decode()
