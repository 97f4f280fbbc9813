"""A person's time zone is an IANA zone of a real place. The zoneinfo folders also hold
names that are not ("localtime" is the server's own zone, "Factory" a placeholder that
reads "-00"); they are refused like any unknown name."""

import pytest

from budgetpay.testing.people import page_client_for
from users.models import User

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"
NOT_PLACES = ["localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/Europe/Berlin"]


@pytest.mark.parametrize("value", NOT_PLACES)
def test_patch_me_refuses_a_zone_that_is_not_a_place(auth_client, user, value):
    response = auth_client.patch(ME, {"timezone": value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["timezone"] == [
        f"{value} is not an IANA time zone name (for example Europe/Berlin)."
    ]
    user.refresh_from_db()
    assert user.timezone == "UTC"


@pytest.mark.parametrize("value", ["localtime", "Factory"])
def test_registering_refuses_a_zone_that_is_not_a_place(api_client, value):
    body = {"email": "new@example.com", "password": "correct-horse-battery-staple-42", "timezone": value}
    response = api_client.post("/api/v1/auth/register", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["timezone"]
    assert not User.objects.filter(email="new@example.com").exists()


def test_the_profile_page_refuses_a_zone_that_is_not_a_place(user):
    client = page_client_for(user)
    data = {"full_name": "Ada", "currency": "USD", "timezone": "localtime", "monthly_income": ""}
    response = client.post("/account/profile/", data)
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    user.refresh_from_db()
    assert user.timezone == "UTC"


@pytest.mark.parametrize("value", ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Asia/Kolkata"])
def test_real_places_are_still_accepted(auth_client, user, value):
    response = auth_client.patch(ME, {"timezone": value}, format="json")
    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert user.timezone == value
