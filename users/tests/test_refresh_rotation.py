"""Refresh token rotation: one exchange per token, however many arrive at once; a used-up
token presented again is refused, and long after its rotation it ends its whole sign-in
and tells the person (OAuth 2.0 Security BCP, refresh token rotation)."""

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from budgetpay.testing.concurrency import at_once
from budgetpay.testing.people import TEST_PASSWORD
from budgetpay.testing.services import REQUIRE_SERVICES
from notifications.models import Notification

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
ME = "/api/v1/users/me"


def sign_in(user) -> dict:
    response = APIClient().post(TOKEN, {"email": user.email, "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def refresh_with(refresh: str):
    return APIClient().post(REFRESH, {"refresh": refresh}, format="json")


def reuse_alerts(user):
    return Notification.objects.filter(user=user, data__reason="refresh_token_reused")


@pytest.mark.django_db
def test_reuse_within_the_grace_is_only_refused(user):
    """Two tabs, or a phone retrying after a lost answer: the late one gets 401, and the
    winner's new token keeps working."""
    first = sign_in(user)
    winner = refresh_with(first["refresh"])
    assert winner.status_code == 200

    late = refresh_with(first["refresh"])
    assert late.status_code == 401
    assert late.json() == {
        "message": "This refresh token was already used; use the one that replaced it, or sign in again.",
        "code": "token_not_valid",
    }

    following = refresh_with(winner.json()["refresh"])
    assert following.status_code == 200, following.json()
    assert not reuse_alerts(user).exists()


@pytest.mark.django_db
def test_reuse_after_the_grace_revokes_the_whole_sign_in_and_tells_the_person(user, other_user, settings):
    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 0  # every reuse is past the grace
    stolen = sign_in(user)
    second = refresh_with(stolen["refresh"]).json()
    third = refresh_with(second["refresh"]).json()  # the person's current token, two rotations on
    elsewhere = sign_in(user)  # another device, another sign-in
    someone_else = sign_in(other_user)

    replay = refresh_with(stolen["refresh"])
    assert replay.status_code == 401
    assert replay.json()["code"] == "token_not_valid"

    # Every token descended from that sign-in is revoked, the newest included...
    assert refresh_with(third["refresh"]).status_code == 401
    assert refresh_with(second["refresh"]).status_code == 401
    # ...and nothing else.
    assert refresh_with(elsewhere["refresh"]).status_code == 200
    assert refresh_with(someone_else["refresh"]).status_code == 200

    alert = reuse_alerts(user).get()
    assert alert.level == Notification.Level.ALERT
    assert "signed that device out" in alert.message
    assert not reuse_alerts(other_user).exists()

    # Replaying again does not notify twice.
    assert refresh_with(stolen["refresh"]).status_code == 401
    assert reuse_alerts(user).count() == 1


@pytest.mark.django_db
def test_a_signed_out_token_presented_again_is_refused_without_an_alert(user, settings):
    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 0
    pair = sign_in(user)
    assert APIClient().post("/api/v1/auth/logout", {"refresh": pair["refresh"]}, format="json").status_code == 200
    response = refresh_with(pair["refresh"])
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    assert not reuse_alerts(user).exists()


@pytest.mark.django_db
def test_a_rotated_pair_works(user):
    rotated = refresh_with(sign_in(user)["refresh"]).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    assert client.get(ME).status_code == 200


@pytest.mark.services
@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES, reason="row locks: PostgreSQL (CI runs it there)"
)
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_refreshes_of_one_token_make_one_winner(user):
    assert connection.vendor == "postgresql"
    refresh = sign_in(user)["refresh"]
    responses = at_once(lambda: refresh_with(refresh), count=10)
    answers = [(response.status_code, response.json()) for response in responses]

    assert sorted(status for status, _ in answers) == [200] + [401] * 9
    winner = next(body for status, body in answers if status == 200)
    # One family lives on: the sign-in's token and the winner's, nothing else was issued.
    assert OutstandingToken.objects.filter(user=user).count() == 2
    assert refresh_with(winner["refresh"]).status_code == 200
    assert not reuse_alerts(user).exists()


@pytest.mark.django_db
def test_an_exchange_that_loses_after_its_check_is_refused_not_an_error(user, monkeypatch):
    """Where the row lock does nothing (SQLite), a parallel exchange can blacklist the token
    between this one's check and its own blacklisting: the unique blacklist row decides,
    and the loser gets the 401 of a used token, not a 500 from the unique constraint."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    from users import services

    first = sign_in(user)
    rotate = services._rotate

    def a_parallel_exchange_wins_first(refresh, *, row, user):
        BlacklistedToken.objects.create(token=row)
        return rotate(refresh, row=row, user=user)

    monkeypatch.setattr(services, "_rotate", a_parallel_exchange_wins_first)
    late = refresh_with(first["refresh"])
    assert late.status_code == 401
    assert late.json()["code"] == "token_not_valid"
