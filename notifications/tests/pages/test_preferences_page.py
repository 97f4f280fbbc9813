"""The notification preferences page (account/notifications/) with Django's test client: the
type × channel matrix as a table of labelled checkboxes checked per the defaults, saving it,
hiding amounts in pushes, the quiet hours (saved through quiet_hours_update, its refusals shown
on the page), the push control's place and the person's webhooks."""

from datetime import time
from html.parser import HTMLParser

import pytest
from django.conf import settings

from notifications.delivery_settings import push_hides_amounts
from notifications.forms import WALL_TIME_MESSAGE
from notifications.models import (
    Channel,
    DeliverySettings,
    Notification,
    NotificationPreference,
    Webhook,
    channel_default,
)
from notifications.quiet_hours import BOTH_OR_NEITHER, SAME_START_AND_END, quiet_hours_of, quiet_hours_update
from notifications.selectors import preference_matrix_for

pytestmark = pytest.mark.django_db

URL = "/account/notifications/"
# A time as long as a post may carry beside the rest of the page (the upload limit less room for it).
LONGEST_TIME = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 16 * 1024


class Page(HTMLParser):
    """What the page's markup holds: each checkbox (name, id, checked), each time input (name,
    id, value, the fieldset it is in), each label (its `for` and its text), each table header
    cell (its scope and text) and each fieldset's legend."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.checkboxes: dict[str, dict] = {}
        self.times: dict[str, dict] = {}
        self.legends: list[str] = []
        self._fieldset: dict | None = None
        self._in_legend = False
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
        elif tag == "input" and attributes.get("type") == "time":
            self.times[attributes["name"]] = {
                "id": attributes.get("id"),
                "value": attributes.get("value", ""),
                "fieldset": self._fieldset,
            }
        elif tag == "fieldset":
            self._fieldset = attributes
        elif tag == "legend":
            self._in_legend, self._text = True, []
        elif tag == "label":
            self._label_for, self._text = attributes.get("for"), []
        elif tag == "th":
            self._header_scope, self._text = attributes.get("scope", ""), []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text).split())
        if tag == "legend" and self._in_legend:
            self.legends.append(text)
            self._in_legend = False
        elif tag == "fieldset":
            self._fieldset = None
        elif tag == "label" and self._label_for:
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


def the_page_as_posted(page: Page) -> dict[str, str]:
    """The checked boxes and the quiet hours' time inputs as they are filled in."""
    return {**the_matrix_as_posted(page), **{name: box["value"] for name, box in page.times.items()}}


@pytest.fixture
def quiet_nights(user, other_user):
    """The person in Kathmandu (UTC+5:45) with quiet hours 22:00-07:00; the other person 23:00-06:00."""
    user.timezone = "Asia/Kathmandu"
    user.save(update_fields=["timezone"])
    quiet_hours_update(user=user, start=time(22), end=time(7))
    quiet_hours_update(user=other_user, start=time(23), end=time(6))


def test_the_quiet_hours_fieldset_shows_the_saved_times_and_the_zone(page_client, user, quiet_nights):
    html = page_client.get(URL).content.decode()
    page = Page(html)
    assert {name: box["value"] for name, box in page.times.items()} == {
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
    }
    assert "Quiet hours, in your time zone (Asia/Kathmandu)" in page.legends
    # Both inputs sit in the one fieldset, labelled, and the fieldset is tied to the hint.
    start, end = page.times["quiet_hours_start"], page.times["quiet_hours_end"]
    assert start["fieldset"] is not None and start["fieldset"] == end["fieldset"]
    assert page.labels[start["id"]].startswith("Start") and page.labels[end["id"]].startswith("End")
    hint = start["fieldset"]["aria-describedby"]
    assert f'id="{hint}"' in html
    assert "in your time zone, <strong>Asia/Kathmandu</strong>" in html
    assert "arrive as one summary" in html and "The bell and the app are not held" in html


def test_quiet_hours_are_empty_on_the_page_while_they_are_off(page_client, user):
    page = Page(page_client.get(URL).content.decode())
    assert {name: box["value"] for name, box in page.times.items()} == {"quiet_hours_start": "", "quiet_hours_end": ""}
    assert "in your time zone, <strong>UTC</strong>" in page_client.get(URL).content.decode()
    # Posting the page untouched writes nothing: no settings row appears for quiet hours left off.
    assert page_client.post(URL, the_page_as_posted(page)).status_code == 302
    assert not DeliverySettings.objects.filter(user=user).exists()


def test_saving_the_page_sets_quiet_hours(page_client, user, other_user):
    data = the_page_as_posted(Page(page_client.get(URL).content.decode()))
    quiet_hours_update(user=other_user, start=time(23), end=time(6))

    answer = page_client.post(URL, {**data, "quiet_hours_start": "21:30", "quiet_hours_end": "06:45"}, follow=True)
    assert answer.redirect_chain == [(URL, 302)]
    assert "Your notification choices were saved." in answer.content.decode()
    assert quiet_hours_of(user=user) == (time(21, 30), time(6, 45))
    again = Page(answer.content.decode())
    assert again.times["quiet_hours_start"]["value"] == "21:30" and again.times["quiet_hours_end"]["value"] == "06:45"
    assert not NotificationPreference.objects.filter(user=user).exists()  # the matrix was left as it was
    assert quiet_hours_of(user=other_user) == (time(23), time(6))


def test_clearing_both_times_turns_quiet_hours_off(page_client, user, other_user, quiet_nights):
    data = the_page_as_posted(Page(page_client.get(URL).content.decode()))
    assert data["quiet_hours_start"] == "22:00"
    assert page_client.post(URL, {**data, "quiet_hours_start": "", "quiet_hours_end": ""}).status_code == 302
    assert quiet_hours_of(user=user) == (None, None)
    assert quiet_hours_of(user=other_user) == (time(23), time(6))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("23:00", "", BOTH_OR_NEITHER),
        ("", "05:00", BOTH_OR_NEITHER),
        ("23:00", "23:00", SAME_START_AND_END),
        ("25:00", "07:00", WALL_TIME_MESSAGE),
        ("22:00", "7 am", WALL_TIME_MESSAGE),
        # The longest a post may carry: refused by its length, never parsed.
        ("2" * LONGEST_TIME, "07:00", WALL_TIME_MESSAGE),
    ],
    ids=["start-only", "end-only", "equal", "no-such-hour", "not-a-time", "huge"],
)
def test_quiet_hours_the_service_or_the_form_refuses_are_shown_and_nothing_is_saved(
    page_client, user, other_user, quiet_nights, start, end, message
):
    data = the_page_as_posted(Page(page_client.get(URL).content.decode()))
    del data["budget_exceeded__push"]
    data["push_hides_amounts"] = "on"

    answer = page_client.post(URL, {**data, "quiet_hours_start": start, "quiet_hours_end": end})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert message in html
    assert 'role="alert"' in html
    # Nothing of the post was saved: not the quiet hours, the matrix cell nor the option.
    assert quiet_hours_of(user=user) == (time(22), time(7))
    assert not NotificationPreference.objects.filter(user=user).exists()
    assert push_hides_amounts(user_id=user.pk) is False
    assert quiet_hours_of(user=other_user) == (time(23), time(6))
    # The page comes back with what was posted, to correct it.
    page = Page(html)
    assert checked(page)["budget_exceeded__push"] is False and checked(page)["push_hides_amounts"] is True


def test_a_page_from_before_quiet_hours_keeps_them(page_client, user, other_user, quiet_nights):
    """A form without the quiet-hours fields (an open tab from before them) saves its other
    choices and keeps the quiet hours, as a form without the email timings keeps those."""
    data = the_matrix_as_posted(Page(page_client.get(URL).content.decode()))
    assert "quiet_hours_start" not in data
    assert page_client.post(URL, {**data, "push_hides_amounts": "on"}).status_code == 302
    assert push_hides_amounts(user_id=user.pk) is True
    assert quiet_hours_of(user=user) == (time(22), time(7))
    assert quiet_hours_of(user=other_user) == (time(23), time(6))


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
