"""The notifications' pages with Django's test client: the list, the bell and its panel,
marking read (going back only within the site), and the choice of what a person is told."""

import pytest

from budgetpay.testing.factories import make_notification
from notifications.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def test_marking_read_goes_back_to_the_page_and_never_off_site(page_client, user):
    first, second = make_notification(user, "One"), make_notification(user, "Two")
    response = page_client.post(f"/notifications/{first.pk}/read/", {"next": "/budgets/"})
    assert response["Location"] == "/budgets/"
    first.refresh_from_db()
    assert first.is_read

    off_site = page_client.post(f"/notifications/{second.pk}/read/", {"next": "https://evil.example/"})
    assert off_site["Location"] == "/notifications/"

    make_notification(user, "Three")
    page_client.post("/notifications/read-all/", {"next": "/"})
    assert not Notification.objects.filter(user=user, is_read=False).exists()


def test_the_bell_and_its_panel_show_the_latest_and_the_unread_count(page_client, user):
    for number in range(8):
        make_notification(user, f"Alert {number}")
    page = page_client.get("/budgets/").content.decode()
    assert "data-unread-badge>8</span>" in page
    assert f'data-last-notification-id="{Notification.objects.latest("id").pk}"' in page
    panel = page_client.get("/notifications/panel/?next=/budgets/")
    assert panel.content.decode().count('class="notification ') == 6
    assert 'name="next" value="/budgets/"' in panel.content.decode()
    assert "unread" in page_client.get("/notifications/?show=unread").content.decode()


def test_notification_preferences_are_saved(page_client, user):
    page = page_client.get("/account/notifications/")
    form = page.context["form"]
    assert form["budget_threshold__in_app"].value() is True
    assert form["expense_recorded__in_app"].value() is False
    # Ticked boxes as "on", each email timing as its chosen value.
    data = {
        name: "on" if form[name].value() is True else form[name].value() for name in form.fields if form[name].value()
    }
    del data["saving_tip__in_app"]
    data["expense_recorded__in_app"] = "on"
    assert page_client.post("/account/notifications/", data).status_code == 302
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("type", "enabled"))
    assert chosen == {"saving_tip": False, "expense_recorded": True}
