"""A person's currency, time zone and locale: chosen at sign-up with the browser's as the
starting point, checked once by people who may still be on the old USD/UTC defaults, and
used for every amount a person reads (pages, notifications)."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client

from budgetpay.testing.factories import make_account, make_transaction
from budgetpay.testing.people import TEST_PASSWORD, client_for, make_user, page_client_for
from notifications.models import Notification
from transactions.models import Account
from users.models import User

pytestmark = pytest.mark.django_db

GERMAN_BROWSER = "de-DE,de;q=0.9,en;q=0.8"
NBSP = "\u00a0"
CHECK = "/account/check-settings/"


def locale_settings(user: User) -> tuple[str, str, str, bool]:
    """A person's currency, time zone and locale, and whether they confirmed them."""
    return user.currency, user.timezone, user.locale, user.confirmed_locale_settings


def sign_up(client: Client, **fields: str):
    return client.post(
        "/accounts/signup/",
        {
            "email": "mia@example.com",
            "full_name": "Mia",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
            **fields,
        },
    )


# --- Sign-up -----------------------------------------------------------------------------------


def test_sign_up_offers_the_browsers_currency_and_keeps_its_time_zone():
    client = Client(HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
    page = client.get("/accounts/signup/").content.decode()
    assert '<option value="EUR" selected>' in page
    # The time zone field signup.js fills from the browser (a script file: the CSP allows no inline one).
    assert 'name="timezone"' in page and 'data-browser-timezone=""' in page
    assert 'budgetpay/signup.js" defer></script>' in page
    assert '<option value="Europe/Berlin">' in page  # the suggestions

    # What the browser sends: the preselected currency and the zone signup.js put in.
    response = sign_up(client, currency="EUR", timezone="Europe/Berlin")
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get()
    assert locale_settings(user) == ("EUR", "Europe/Berlin", "de-DE", True)
    assert Account.objects.get(user=user).currency == "EUR"  # the starter account too


def test_sign_up_asks_for_currency_and_time_zone():
    """Without JavaScript the time zone is typed (with suggestions); nothing is assumed."""
    client = Client(HTTP_ACCEPT_LANGUAGE="ja-JP")
    page = client.get("/accounts/signup/").content.decode()
    assert '<option value="JPY" selected>' in page
    response = sign_up(client, currency="", timezone="")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose the currency your budgets are in." in html and "Enter your time zone, e.g. Europe/Berlin." in html
    assert not User.objects.exists()

    assert sign_up(client, currency="JPY", timezone="Asia/Tokyo")["Location"] == "/"
    user = User.objects.get()
    assert locale_settings(user) == ("JPY", "Asia/Tokyo", "ja-JP", True)
    assert Account.objects.get(user=user).currency == "JPY"


def test_a_browser_without_a_known_region_preselects_no_currency():
    page = Client(HTTP_ACCEPT_LANGUAGE="en-001").get("/accounts/signup/").content.decode()
    assert '<option value="" selected>Choose your currency</option>' in page


def test_a_new_person_from_a_social_sign_in_starts_from_the_browser_and_is_asked():
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import RequestFactory

    from users.adapters import AccountAdapter

    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="fr-CH,fr;q=0.9")
    SessionMiddleware(lambda r: None).process_request(request)
    user = AccountAdapter(request).new_user(request)
    assert locale_settings(user) == ("CHF", "UTC", "fr-CH", False)


def test_sign_up_refuses_an_unknown_time_zone_or_currency():
    client = Client(HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)
    response = sign_up(client, currency="EUR", timezone="Mars/Olympus")
    assert response.status_code == 200
    assert "Mars/Olympus is not an IANA time zone name" in response.content.decode()
    response = sign_up(client, currency="XYZ", timezone="Europe/Berlin")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not User.objects.exists()


def test_register_through_the_api_takes_the_browsers_currency_and_locale(api_client):
    guessed = api_client.post(
        "/api/v1/auth/register",
        {"email": "sam@example.com", "password": TEST_PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER,
    )
    assert guessed.status_code == 201, guessed.json()
    assert {key: guessed.json()["user"][key] for key in ("currency", "timezone", "locale")} == {
        "currency": "EUR",
        "timezone": "UTC",
        "locale": "de-DE",
    }
    assert User.objects.get(email="sam@example.com").confirmed_locale_settings is False

    chosen = api_client.post(
        "/api/v1/auth/register",
        {
            "email": "kim@example.com",
            "password": TEST_PASSWORD,
            "currency": "GBP",
            "timezone": "Europe/London",
            "locale": "en_gb",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER,
    )
    assert chosen.status_code == 201, chosen.json()
    kim = User.objects.get(email="kim@example.com")
    assert locale_settings(kim) == ("GBP", "Europe/London", "en-GB", True)

    junk = api_client.post(
        "/api/v1/auth/register",
        {"email": "jo@example.com", "password": TEST_PASSWORD, "locale": "klingon"},
        format="json",
    )
    assert junk.status_code == 400 and list(junk.json()["errors"]) == ["locale"]


# --- The once-only check -------------------------------------------------------------------------


def sign_in(client: Client, email: str, next_url: str = ""):
    suffix = f"?next={next_url}" if next_url else ""
    return client.post(f"/accounts/login/{suffix}", {"login": email, "password": TEST_PASSWORD})


def test_someone_still_on_usd_and_utc_is_asked_once_after_signing_in():
    person = make_user("old@example.com", confirmed_locale_settings=False)  # as the migration leaves them
    client = Client(HTTP_ACCEPT_LANGUAGE=GERMAN_BROWSER)

    response = sign_in(client, person.email, next_url="/budgets/")
    assert response.status_code == 302 and response["Location"] == f"{CHECK}?next=%2Fbudgets%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Check your currency and time zone" in html
    assert '<option value="USD" selected>' in html and "Your browser's region uses EUR." in html
    assert 'data-browser-timezone="UTC"' in html  # signup.js offers the browser's zone in place of UTC
    assert 'budgetpay/signup.js" defer></script>' in html

    bad = client.post(CHECK, {"currency": "EUR", "timezone": "UTC+2", "next": "/budgets/"})
    assert bad.status_code == 200 and "UTC+2 is not an IANA time zone name" in bad.content.decode()
    saved = client.post(CHECK, {"currency": "EUR", "timezone": "Europe/Berlin", "next": "/budgets/"})
    assert saved.status_code == 302 and saved["Location"] == "/budgets/"
    person.refresh_from_db()
    assert (person.currency, person.timezone, person.confirmed_locale_settings) == ("EUR", "Europe/Berlin", True)

    # Not again: the next sign-in goes where it was going, and the page itself only redirects.
    client.post("/accounts/logout/")
    assert sign_in(client, person.email)["Location"] == "/"
    assert client.get(CHECK)["Location"] == "/"


def test_the_check_page_sends_nobody_to_another_site():
    person = make_user("old@example.com", confirmed_locale_settings=False)
    client = page_client_for(person)
    response = client.post(CHECK, {"currency": "USD", "timezone": "America/New_York", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_people_who_chose_are_not_asked(user):
    assert user.confirmed_locale_settings  # created after sign-up asked
    assert sign_in(Client(), user.email)["Location"] == "/"


def test_the_migration_asks_only_people_on_both_old_defaults():
    migration = importlib.import_module("users.migrations.0004_locale_and_confirmed_settings")
    defaults = make_user("a@example.com")
    usd_elsewhere = make_user("b@example.com", timezone="America/Chicago")
    eur_on_utc = make_user("c@example.com", currency="EUR")
    migration.ask_people_on_the_defaults(apps, None)
    asked = {
        u.email: u.confirmed_locale_settings
        for u in User.objects.filter(pk__in=[defaults.pk, usd_elsewhere.pk, eur_on_utc.pk])
    }
    assert asked == {"a@example.com": False, "b@example.com": True, "c@example.com": True}


# --- Locale on the profile and the API -------------------------------------------------------------


def test_locale_is_read_and_changed_through_the_api(auth_client, user):
    assert auth_client.get("/api/v1/users/me").json()["locale"] == "en"
    changed = auth_client.patch("/api/v1/users/me", {"locale": "de_de"}, format="json")
    assert changed.status_code == 200 and changed.json()["locale"] == "de-DE"
    user.refresh_from_db()
    assert user.locale == "de-DE"


@pytest.mark.parametrize(
    "junk", ["klingon", "de DE", "en-US-x-private", "", "x" * 10_000, 42, True, ["de"], {"a": 1}, None]
)
def test_locale_junk_is_a_400_naming_the_field(auth_client, user, junk):
    response = auth_client.patch("/api/v1/users/me", {"locale": junk}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["locale"]
    user.refresh_from_db()
    assert user.locale == "en"


def test_choosing_currency_or_time_zone_through_the_api_confirms_them():
    person = make_user("old@example.com", confirmed_locale_settings=False)
    response = client_for(person).patch("/api/v1/users/me", {"timezone": "Asia/Tokyo"}, format="json")
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.confirmed_locale_settings


def test_the_profile_page_changes_the_locale(user):
    client = page_client_for(user)
    page = client.get("/account/profile/").content.decode()
    assert '<option value="en" selected>' in page and '<option value="de-DE">' in page
    fields = {"full_name": "Ada", "currency": "EUR", "timezone": "Europe/Berlin", "monthly_income": "100"}
    bad = client.post("/account/profile/", {**fields, "locale": "nonsense"})
    assert bad.status_code == 200 and "nonsense is not a locale" in bad.content.decode()
    assert client.post("/account/profile/", {**fields, "locale": "de-DE"}).status_code == 302
    user.refresh_from_db()
    assert user.locale == "de-DE"


# --- Every amount a person reads -----------------------------------------------------------------


def test_pages_show_amounts_in_the_persons_locale():
    person = make_user("de@example.com", currency="EUR", timezone="Europe/Berlin", locale="de-DE")
    account = Account.objects.get(user=person)
    make_transaction(account, amount="1234.50", kind="income", description="Gehalt")
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US")  # the person's own locale wins over the browser's
    client.force_login(person)
    page = client.get("/transactions/").content.decode()
    assert f"+1.234,50{NBSP}€" in page
    assert "€1,234.50" not in page


def test_a_notification_for_a_jpy_person_reads_whole_yen():
    person = make_user("ja@example.com", currency="JPY", timezone="Asia/Tokyo", locale="en")
    account = Account.objects.get(user=person)
    created = client_for(person).post(
        "/api/v1/transactions", {"account": account.pk, "amount": "1234.50", "kind": "income"}, format="json"
    )
    assert created.status_code == 201, created.json()
    notification = Notification.objects.get(user=person, type=Notification.Type.INCOME_RECEIVED)
    assert notification.title == "Income received: ¥1,235"
    assert notification.message == "¥1,235 arrived in Main account."
    assert notification.data["amount"] == "1234.50"  # the data keeps the plain amount for clients


def test_a_notification_is_written_in_the_persons_locale_when_it_is_created():
    person = make_user("de@example.com", currency="EUR", locale="de-DE")
    account = make_account(person, name="Girokonto")
    created = client_for(person).post(
        "/api/v1/transactions", {"account": account.pk, "amount": "2500.00", "kind": "income"}, format="json"
    )
    assert created.status_code == 201
    notification = Notification.objects.get(user=person, type=Notification.Type.INCOME_RECEIVED)
    assert notification.title == f"Income received: 2.500,00{NBSP}€"
    # Stored as written: changing the locale later does not rewrite what was sent.
    person.locale = "en"
    person.save(update_fields=["locale"])
    notification.refresh_from_db()
    assert notification.title == f"Income received: 2.500,00{NBSP}€"
    assert Decimal(notification.data["amount"]) == Decimal("2500.00")


def test_the_check_never_follows_a_view_name_or_another_site(user):
    """`next` is a URL on this site or nothing: a view name ("account_logout") is not
    resolved into a sign-out, and another host is not followed."""
    client = page_client_for(user)  # already confirmed: the page sends them on at once
    response = client.get(CHECK, {"next": "account_logout"})
    assert response.status_code == 302 and response["Location"] == "account_logout"  # a path, never reversed
    for bad in ("https://evil.example/", "//evil.example/"):
        response = client.get(CHECK, {"next": bad})
        assert response.status_code == 302
        assert response["Location"] == "/", (bad, response["Location"])
