"""The notifications' pages with Django's test client: the list, the bell and its panel,
marking read (going back only within the site), and the choice of what a person is told."""

import pytest
from django.test import Client

from budgetpay.testing.people import page_client_for
from notifications.models import Notification, NotificationPreference
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(user) -> Client:
    return page_client_for(user)


def notification_for(user, title: str = "Food budget at 80 %") -> Notification:
    return notify(user=user, type=Notification.Type.BUDGET_THRESHOLD, title=title, message="You have spent 80.00 of 100.00.")



def test_marking_read_goes_back_to_the_page_and_never_off_site(client, user):
    first, second = notification_for(user, "One"), notification_for(user, "Two")
    response = client.post(f"/notifications/{first.pk}/read/", {"next": "/budgets/"})
    assert response["Location"] == "/budgets/"
    first.refresh_from_db()
    assert first.is_read

    off_site = client.post(f"/notifications/{second.pk}/read/", {"next": "https://evil.example/"})
    assert off_site["Location"] == "/notifications/"

    notification_for(user, "Three")
    client.post("/notifications/read-all/", {"next": "/"})
    assert not Notification.objects.filter(user=user, is_read=False).exists()



def test_the_bell_and_its_panel_show_the_latest_and_the_unread_count(client, user):
    for number in range(8):
        notification_for(user, f"Alert {number}")
    page = client.get("/budgets/").content.decode()
    assert "data-unread-badge>8</span>" in page
    assert f'data-last-notification-id="{Notification.objects.latest("id").pk}"' in page
    panel = client.get("/notifications/panel/?next=/budgets/")
    assert panel.content.decode().count('class="notification ') == 6
    assert 'name="next" value="/budgets/"' in panel.content.decode()
    assert "unread" in client.get("/notifications/?show=unread").content.decode()



def test_notification_preferences_are_saved(client, user):
    page = client.get("/account/notifications/")
    assert page.context["form"]["budget_threshold"].value() is True
    assert page.context["form"]["expense_recorded"].value() is False
    data = {name: "on" for name in Notification.Type.values if name not in ("saving_tip", "expense_recorded")}
    data["expense_recorded"] = "on"
    assert client.post("/account/notifications/", data).status_code == 302
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("type", "enabled"))
    assert chosen == {"saving_tip": False, "expense_recorded": True}

