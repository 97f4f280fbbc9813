"""Every amount a person types is read by the one money parser (budgetpay.money, issue 12
item 13): the profile page, the profile API and sign-up, like the rest of the API, refuse
"1e3" and "０１２" with the parser's message. Django's forms.DecimalField and DRF's automatic
model field hand the text to Decimal(), which reads them as 1000 and 12. The other apps'
forms are tested in <app>/tests/test_money_inputs.py."""

from decimal import Decimal

import pytest

from budgetpay.testing.amounts import NOT_PLAIN, assert_form_refused

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_the_profile_page_refuses_a_monthly_income_that_is_not_plain(page_client, user, amount, message):
    profile = {"full_name": "Ada", "currency": "USD", "timezone": "UTC", "monthly_income": amount}
    assert_form_refused(page_client.post("/account/profile/", profile), "monthly_income", message)
    user.refresh_from_db()
    assert user.monthly_income == Decimal("0.00")


def test_the_profile_page_keeps_monthly_income_at_zero_or_above(page_client, user):
    profile = {"full_name": "Ada", "currency": "USD", "timezone": "UTC", "monthly_income": "-1"}
    refused = page_client.post("/account/profile/", profile)
    assert refused.status_code == 200 and "monthly_income" in refused.context["form"].errors
    assert page_client.post("/account/profile/", {**profile, "monthly_income": " 1500.5 "}).status_code == 302
    user.refresh_from_db()
    assert user.monthly_income == Decimal("1500.50")


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_the_profile_api_refuses_a_monthly_income_that_is_not_plain(auth_client, user, amount, message):
    response = auth_client.patch(ME, {"monthly_income": amount}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {"monthly_income": [message]}
    user.refresh_from_db()
    assert user.monthly_income == Decimal("0.00")


@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_sign_up_refuses_a_monthly_income_that_is_not_plain(api_client, amount, message):
    body = {"email": "new@example.com", "password": "a long enough passphrase 42", "monthly_income": amount}
    response = api_client.post("/api/v1/auth/register", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {"monthly_income": [message]}


def test_the_profile_api_keeps_monthly_income_at_zero_or_above(auth_client):
    assert auth_client.patch(ME, {"monthly_income": "-0.01"}, format="json").status_code == 400
    for sent, stored in (("0", "0.00"), ("1500.5", "1500.50"), (2500, "2500.00")):
        response = auth_client.patch(ME, {"monthly_income": sent}, format="json")
        assert response.status_code == 200 and response.json()["monthly_income"] == stored
