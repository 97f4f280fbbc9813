"""Email in the preferences: the API's email cells, `email_timing` and `email_hides_amounts` beside
the original `{type: bool}` shape and the "channels" matrix; notify() writing the email row in
the batch the timing names; the page's Email column and timing, and its note when the address
is not verified."""

import pytest
from allauth.account.models import EmailAddress

from budgetpay.testing.api import assert_refused_naming
from notifications import services
from notifications.models import Channel, Delivery, DeliverySettings, Notification, NotificationPreference

pytestmark = pytest.mark.django_db

URL = "/api/v1/notification/preferences"
PAGE = "/account/notifications/"


@pytest.fixture
def verified(user):
    return EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


def tip(user, n: int = 1) -> Notification:
    return services.notify(user=user, type="saving_tip", title=f"Tip {n}", message="Cook at home.", dedupe_key=f"{n}")


def test_the_old_shape_still_reads_and_writes_the_in_app_column(auth_client, user):
    assert auth_client.get(URL).json()["budget_exceeded"] is True
    answer = auth_client.patch(URL, {"budget_exceeded": False}, format="json")
    assert answer.status_code == 200
    assert answer.json()["budget_exceeded"] is False
    assert answer.json()["channels"]["budget_exceeded"]["email"] is True  # only the in-app cell changed
    assert auth_client.get(URL).json()["budget_exceeded"] is False


def test_email_cells_timing_and_the_option_are_set_in_one_patch(auth_client, user, verified):
    body = {
        "channels": {"goal_achieved": {"email": True}},
        "email_timing": {"saving_tip": "weekly", "goal_achieved": "immediate"},
        "email_hides_amounts": True,
    }
    answer = auth_client.patch(URL, body, format="json").json()
    assert answer["channels"]["goal_achieved"]["email"] is True
    assert answer["email_timing"]["saving_tip"] == "weekly"
    assert answer["email_timing"]["goal_achieved"] == "immediate"
    assert answer["email_timing"]["budget_exceeded"] == "immediate"
    assert answer["email_hides_amounts"] is True and answer["push_hides_amounts"] is False
    # A timing alone keeps the cell's default (saving_tip's email is on by default).
    assert NotificationPreference.objects.get(user=user, type="saving_tip", channel=Channel.EMAIL).enabled is True
    assert DeliverySettings.objects.get(user=user).email_hides_amounts is True

    tip(user)
    assert Delivery.objects.get(user=user, channel=Channel.EMAIL).batch == "weekly"


def test_notify_writes_the_email_row_in_the_timings_batch(user, verified):
    tip(user, 1)
    services.notify(user=user, type="budget_exceeded", title="Over", message="By 5.00.")
    services.notify(user=user, type="budget_threshold", title="At 80 %", message="80.00 of 100.00.")  # email off
    rows = dict(Delivery.objects.filter(user=user, channel=Channel.EMAIL).values_list("notification__type", "batch"))
    assert rows == {"saving_tip": "daily", "budget_exceeded": ""}


def test_a_type_on_only_by_email_is_stored_read(user, verified):
    services.preference_matrix_update(user=user, changes={"saving_tip": {Channel.IN_APP: False}})
    notification = tip(user)
    assert notification is not None and notification.is_read
    assert Delivery.objects.filter(notification=notification, channel=Channel.EMAIL).exists()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"email_timing": {"saving_tip": "hourly"}}, "email_timing.saving_tip"),
        ({"email_timing": {"saving_tip": 1}}, "email_timing.saving_tip"),
        ({"email_timing": {"nope": "daily"}}, "email_timing.nope"),
        ({"email_timing": ["daily"]}, "email_timing"),
        ({"email_hides_amounts": "yes"}, "email_hides_amounts"),
        ({"channels": {"saving_tip": {"email": "on"}}}, "channels.saving_tip.email"),
    ],
)
def test_a_bad_email_choice_is_refused_by_its_path_and_writes_nothing(auth_client, user, body, path):
    assert_refused_naming(auth_client.patch(URL, {**body, "goal_progress": False}, format="json"), path)
    assert not NotificationPreference.objects.filter(user=user).exists()
    assert not DeliverySettings.objects.filter(user=user).exists()


def test_the_page_shows_the_email_column_and_timing_and_saves_them(page_client, user, verified):
    html = page_client.get(PAGE).content.decode()
    assert 'name="budget_exceeded__email"' in html and 'name="saving_tip__email_timing"' in html
    assert ">Email<" in html and ">Email when<" in html
    assert 'id="email-unverified"' not in html

    form = page_client.get(PAGE).context["form"]
    data = {
        name: "on" if form[name].value() is True else form[name].value() for name in form.fields if form[name].value()
    }
    data["saving_tip__email_timing"] = "weekly"
    del data["budget_exceeded__email"]
    data["email_hides_amounts"] = "on"
    assert page_client.post(PAGE, data).status_code == 302
    stored = {
        (type, enabled, timing)
        for type, enabled, timing in NotificationPreference.objects.filter(
            user=user, channel=Channel.EMAIL
        ).values_list("type", "enabled", "email_timing")
    }
    assert stored == {("saving_tip", True, "weekly"), ("budget_exceeded", False, "")}
    assert DeliverySettings.objects.get(user=user).email_hides_amounts is True


def test_the_page_says_why_no_email_comes_to_an_unverified_address(page_client, user):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    html = page_client.get(PAGE).content.decode()
    assert 'id="email-unverified"' in html
    assert f"your address {user.email} is not verified" in html
    assert 'href="/accounts/email/"' in html
