"""The server-rendered account pages (allauth), driven with Django's test client."""

import pytest
from django.core import mail
from django.test import Client

from budgetpay.testing.people import TEST_PASSWORD, page_client_for
from users.models import User

pytestmark = pytest.mark.django_db


def test_signup_then_sign_in_with_a_password():
    client = Client()
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert b'name="full_name"' in page.content

    response = client.post(
        "/accounts/signup/",
        {
            "email": "Mia@Example.com",
            "full_name": "Mia Wong",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
            "currency": "USD",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert (user.email, user.full_name) == ("mia@example.com", "Mia Wong")
    assert client.get("/").context["user"] == user

    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated

    login = client.post("/accounts/login/", {"login": "MIA@example.com", "password": TEST_PASSWORD})
    assert login.status_code == 302
    home = client.get("/")
    assert home.context["user"] == user
    assert b"mia@example.com" in home.content


def test_signup_errors_are_shown_and_what_was_typed_is_kept():
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"email": "kim@example.com", "full_name": "Kim", "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    assert not User.objects.exists()
    assert b"too short" in response.content
    assert b'value="kim@example.com"' in response.content


def test_wrong_password_on_the_login_page(user):
    response = Client().post("/accounts/login/", {"login": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert b"not correct" in response.content


def test_password_reset_sends_an_email(user):
    response = Client().post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert user.email in mail.outbox[0].to
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_profile_page_requires_sign_in_and_returns_after_it(user):
    client = Client()
    response = client.get("/account/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/account/profile/")


def test_profile_page_saves_and_shows_field_errors(user):
    client = page_client_for(user)
    bad = client.post(
        "/account/profile/",
        {"full_name": "Ada K", "currency": "EUR", "timezone": "Nowhere/City", "monthly_income": "100"},
    )
    assert bad.status_code == 200
    assert "Nowhere/City is not an IANA time zone name" in bad.content.decode()
    assert b'value="Nowhere/City"' in bad.content
    user.refresh_from_db()
    assert user.timezone == "UTC"

    good = client.post(
        "/account/profile/",
        {"full_name": "Ada K", "currency": "EUR", "timezone": "Europe/London", "monthly_income": "2500.00"},
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.currency, user.timezone, str(user.monthly_income)) == (
        "Ada K",
        "EUR",
        "Europe/London",
        "2500.00",
    )


@pytest.mark.parametrize("path", ["/accounts/email/", "/accounts/password/change/", "/accounts/3rdparty/"])
def test_account_management_pages_render_in_the_shared_layout(user, path):
    client = page_client_for(user)
    response = client.get(path)
    assert response.status_code == 200
    assert b'class="topbar"' in response.content


def test_staff_manage_users_in_the_admin(user):
    staff = User.objects.create_superuser(email="admin@example.com", password=TEST_PASSWORD)
    client = page_client_for(staff)
    listing = client.get("/admin/users/user/?q=ada")
    assert listing.status_code == 200
    assert b"ada@example.com" in listing.content
    assert client.get(f"/admin/users/user/{user.pk}/change/").status_code == 200
    added = client.post(
        "/admin/users/user/add/",
        {"email": "new@example.com", "usable_password": "true", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert added.status_code == 302
    assert User.objects.filter(email="new@example.com").exists()
