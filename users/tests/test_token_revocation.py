"""A password change, on any path, ends every API sign-in made before it: access tokens
issued before it are refused (their revoke claim names the old password) and refresh tokens
are blacklisted in the same transaction. /auth/token/verify agrees with the authentication."""

import io
import re

import pytest
from django.contrib.auth.management.commands import changepassword
from django.core import mail
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from budgetpay.testing.people import TEST_PASSWORD, make_user, page_client_for
from users.models import User
from users.services import tokens_for_user
from users.signals import credentials_changed

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
VERIFY = "/api/v1/auth/token/verify"
ME = "/api/v1/users/me"
NEW_PASSWORD = "a-brand-new-secret-2027"


def sign_in(user: User) -> dict:
    """A pair from the API's own sign-in, as a phone or script holds it."""
    response = APIClient().post(TOKEN, {"email": user.email, "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def me_with(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME)


def refresh_with(refresh: str):
    return APIClient().post(REFRESH, {"refresh": refresh}, format="json")


def assert_signed_out(pair: dict) -> None:
    me = me_with(pair["access"])
    assert me.status_code == 401, me.json()
    assert me.json()["message"] and me.json()["code"]
    refreshed = refresh_with(pair["refresh"])
    assert refreshed.status_code == 401, refreshed.json()
    assert refreshed.json()["code"] == "token_not_valid"


def test_api_password_change_refuses_earlier_tokens_and_the_new_pair_works(user):
    old = sign_in(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    response = client.post(
        "/api/v1/auth/password/change", {"old_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    new = response.json()

    assert_signed_out(old)
    assert me_with(new["access"]).status_code == 200
    rotated = refresh_with(new["refresh"])
    assert rotated.status_code == 200, rotated.json()
    assert me_with(rotated.json()["access"]).status_code == 200


def test_old_access_token_answers_401_in_the_api_error_shape(user):
    old = sign_in(user)
    user.set_password(NEW_PASSWORD)
    user.save()
    response = me_with(old["access"])
    assert response.status_code == 401
    assert response.json() == {
        "message": "The password was changed after this token was issued; sign in again.",
        "code": "password_changed",
    }


def test_password_change_page_signs_out_the_api(user):
    old = sign_in(user)
    client = page_client_for(user)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content[:500]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_signed_out(old)


def test_password_set_page_signs_out_the_api(user):
    # A person who signed up with Google sets a first password on the pages.
    user.set_unusable_password()
    user.save()
    old = {"access": (pair := tokens_for_user(user=user))["access"], "refresh": pair["refresh"]}
    assert me_with(old["access"]).status_code == 200
    response = page_client_for(user).post(
        "/accounts/password/set/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    assert_signed_out(old)


def test_password_reset_link_signs_out_the_api(user):
    """The victim recovering the account by email ends the thief's stolen tokens."""
    stolen = sign_in(user)
    client = Client()
    assert client.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    response = client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_signed_out(stolen)


def test_admin_password_form_signs_out_the_api(user):
    old = sign_in(user)
    staff = User.objects.create_superuser(email="admin@example.com", password=TEST_PASSWORD)
    response = page_client_for(staff).post(
        f"/admin/users/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_signed_out(old)


def test_manage_py_changepassword_signs_out_the_api(user, monkeypatch):
    old = sign_in(user)
    # The command asks twice on the terminal; answer it as an operator would.
    monkeypatch.setattr(changepassword.getpass, "getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", user.email, stdout=io.StringIO())
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_signed_out(old)


def test_a_wiped_password_signs_out_the_api(user):
    """allauth wipes the password of an account whose unverified address a social sign-in
    claims (the attacker who registered it first must lose access): so do the tokens."""
    old = sign_in(user)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    assert_signed_out(old)


def test_credentials_changed_is_sent_after_the_commit_once_per_change(user, django_capture_on_commit_callbacks):
    heard = []

    def receiver(sender, user, changed_at, **kwargs):
        heard.append((user.pk, changed_at))

    credentials_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            user.set_password(NEW_PASSWORD)
            user.save()
            assert heard == []  # not before the commit
        for callback in callbacks:
            callback()
        assert [pk for pk, _ in heard] == [user.pk]

        # Creating a person, editing a profile, or a hash upgrade on sign-in is no change.
        heard.clear()
        with django_capture_on_commit_callbacks(execute=True):
            make_user("new@example.com")
            user.full_name = "Ada King"
            user.save()
            user.password = "md5$legacy$" + "0" * 32  # as check_password's upgrade writes it
            user._password = None
            user.save(update_fields=["password"])
        assert heard == []
    finally:
        credentials_changed.disconnect(receiver)


def test_tokens_from_before_the_revoke_claim_are_refused_once(user):
    """Tokens issued before CHECK_REVOKE_TOKEN carry no revoke claim: people sign in again."""
    legacy = AccessToken.for_user(user)
    del legacy["hash_password"]
    assert me_with(str(legacy)).status_code == 401
    assert me_with(sign_in(user)["access"]).status_code == 200


def test_the_refresh_of_a_pre_upgrade_token_is_refused(user):
    legacy = RefreshToken.for_user(user)
    del legacy["hash_password"]
    assert refresh_with(str(legacy)).status_code == 401


# --- /auth/token/verify agrees with the authentication ---------------------------------


def verify(token: str):
    return APIClient().post(VERIFY, {"token": token}, format="json")


def test_verify_accepts_a_live_token(user):
    pair = sign_in(user)
    assert verify(pair["access"]).status_code == 200
    assert verify(pair["refresh"]).status_code == 200


def test_verify_refuses_the_token_of_a_deleted_person(user):
    pair = sign_in(user)
    User.objects.filter(pk=user.pk).delete()  # e.g. from the admin
    for token in (pair["access"], pair["refresh"]):
        response = verify(token)
        assert response.status_code == 401, response.json()
        assert response.json()["code"] == "user_not_found"


def test_verify_refuses_the_token_of_a_deactivated_person(user):
    pair = sign_in(user)
    user.is_active = False
    user.save()
    assert verify(pair["access"]).status_code == 401


def test_verify_refuses_a_token_issued_before_a_password_change(user):
    pair = sign_in(user)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert verify(pair["access"]).status_code == 401


def test_verify_refuses_a_signed_out_refresh_token_with_401(user):
    pair = sign_in(user)
    assert APIClient().post("/api/v1/auth/logout", {"refresh": pair["refresh"]}, format="json").status_code == 200
    response = verify(pair["refresh"])
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_verify_of_garbage_is_401(user):
    assert verify("not-a-token").status_code == 401


def test_refresh_of_a_deleted_person_is_401_not_500(user):
    pair = sign_in(user)
    User.objects.filter(pk=user.pk).delete()
    assert OutstandingToken.objects.filter(user=None).exists()  # SET_NULL: not blacklisted by itself
    assert refresh_with(pair["refresh"]).status_code == 401
