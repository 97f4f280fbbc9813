"""The notification preferences page (account/notifications/) with Django's test client: the
type × channel matrix as a table of labelled checkboxes checked per the defaults, saving it,
hiding amounts in pushes, the push control's place and the person's webhooks."""

from html.parser import HTMLParser

import pytest

from notifications.delivery_settings import push_hides_amounts
from notifications.models import Channel, Notification, NotificationPreference, Webhook, channel_default
from notifications.selectors import preference_matrix_for

pytestmark = pytest.mark.django_db

URL = "/account/notifications/"


class Page(HTMLParser):
    """What the page's markup holds: each checkbox (name, id, checked), each label (its `for`
    and its text) and each table header cell (its scope and text)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.checkboxes: dict[str, dict] = {}
        self.labels: dict[str, str] = {}
        self.headers: list[tuple[str, str]] = []
        self._label_for: str | None = None
        self._header_scope: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "checkbox":
            self.checkboxes[attributes["name"]] = {"id": attributes.get("id"), "checked": "checked" in attributes}
        elif tag == "label":
            self._label_for, self._text = attributes.get("for"), []
        elif tag == "th":
            self._header_scope, self._text = attributes.get("scope", ""), []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text).split())
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = text
            self._label_for = None
        elif tag == "th" and self._header_scope is not None:
            self.headers.append((self._header_scope, text))
            self._header_scope = None


def checked(page: Page) -> dict[str, bool]:
    return {name: box["checked"] for name, box in page.checkboxes.items()}


def the_matrix_as_posted(page: Page) -> dict[str, str]:
    """The form as the browser sends it untouched: the checked boxes."""
    return {name: "on" for name, on in checked(page).items() if on}


def test_the_matrix_is_a_table_of_labelled_checkboxes_checked_per_the_defaults(page_client):
    response = page_client.get(URL)
    assert response.status_code == 200
    page = Page(response.content.decode())

    expected = {
        f"{type}__{channel}": channel_default(type, channel)
        for type in Notification.Type.values
        for channel in Channel.values
    }
    assert checked(page) == {**expected, "push_hides_amounts": False, "email_hides_amounts": False}
    assert checked(page)["budget_exceeded__push"] is True
    assert checked(page)["budget_insight__push"] is False
    assert checked(page)["expense_recorded__in_app"] is False

    assert [text for scope, text in page.headers if scope == "col"] == [
        "Notification",
        "In app",
        "Push",
        "Webhook",
        "Email",
        "Email when",
    ]
    row_headers = [text for scope, text in page.headers if scope == "row"]
    assert len(row_headers) == len(Notification.Type.values)
    assert row_headers[1].startswith("Budget exceeded")
    # Every checkbox has its own label: the type and the channel ("Budget exceeded: push").
    labels = {name: page.labels.get(box["id"]) for name, box in page.checkboxes.items()}
    assert labels["budget_exceeded__push"] == "Budget exceeded: push"
    assert labels["saving_tip__in_app"] == "Saving tip: in app"
    assert labels["goal_behind__webhook"] == "Goal behind schedule: webhook"
    assert labels["budget_exceeded__email"] == "Budget exceeded: email"
    assert labels["push_hides_amounts"] == "Hide amounts in pushes (lock screens)"
    assert all(labels.values())


def test_saving_the_matrix_stores_the_changed_cells(page_client, user):
    page = Page(page_client.get(URL).content.decode())
    data = the_matrix_as_posted(page)
    del data["budget_exceeded__push"]
    del data["saving_tip__in_app"]
    data["saving_tip__push"] = "on"
    data["expense_recorded__webhook"] = "on"

    answer = page_client.post(URL, data, follow=True)
    assert answer.redirect_chain == [(URL, 302)]
    assert "Your notification choices were saved." in answer.content.decode()
    stored = {
        (type, channel): enabled
        for type, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
            "type", "channel", "enabled"
        )
    }
    assert stored == {
        ("budget_exceeded", "push"): False,
        ("saving_tip", "in_app"): False,
        ("saving_tip", "push"): True,
        ("expense_recorded", "webhook"): True,
    }
    matrix = preference_matrix_for(user=user)
    assert matrix["budget_exceeded"] == {"in_app": True, "push": False, "webhook": True, "email": True}
    again = Page(answer.content.decode())
    assert checked(again)["budget_exceeded__push"] is False and checked(again)["saving_tip__push"] is True

    # Posting the page untouched changes nothing.
    assert page_client.post(URL, the_matrix_as_posted(again)).status_code == 302
    assert NotificationPreference.objects.filter(user=user).count() == 4


def test_hiding_amounts_in_pushes_round_trips(page_client, user):
    data = the_matrix_as_posted(Page(page_client.get(URL).content.decode()))
    assert page_client.post(URL, {**data, "push_hides_amounts": "on"}).status_code == 302
    assert push_hides_amounts(user_id=user.pk) is True
    assert checked(Page(page_client.get(URL).content.decode()))["push_hides_amounts"] is True
    assert not NotificationPreference.objects.filter(user=user).exists()

    assert page_client.post(URL, data).status_code == 302
    assert push_hides_amounts(user_id=user.pk) is False


def test_the_page_holds_the_push_control_and_names_the_persons_webhooks(page_client, user, other_user):
    response = page_client.get(URL)
    assert "notifications/includes/push_control.html" in [template.name for template in response.templates]
    html = response.content.decode()
    assert "/api/v1/webhooks" in html and "You have no webhooks." in html

    Webhook.objects.create(user=user, url="https://hooks.example.com/t/secret-token-123", secret="whsec_a")
    Webhook.objects.create(user=user, url="https://ntfy.example.org/budget", secret="whsec_b", is_active=False)
    Webhook.objects.create(user=other_user, url="https://theirs.example.net/", secret="whsec_c")
    html = page_client.get(URL).content.decode()
    assert "Your webhooks: hooks.example.com (on), ntfy.example.org (off)." in html
    assert "secret-token" not in html and "theirs.example.net" not in html


def test_the_page_asks_for_a_sign_in(client):
    answer = client.get(URL)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
