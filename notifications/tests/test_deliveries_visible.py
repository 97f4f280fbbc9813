"""A notification's outside deliveries as their owner sees them (the API and the list page)
and as staff see them (the admin, with "Resend")."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, Notification, PushSubscription, Webhook

pytestmark = pytest.mark.django_db

BASE = "/api/v1/notification"


def subscribe(user, *, user_agent: str = "", name: str = "phone") -> PushSubscription:
    return PushSubscription.objects.create(
        user=user,
        endpoint=f"https://push.example.net/send/{user.pk}-{name}",
        p256dh="BNc-key",
        auth="auth-secret",
        user_agent=user_agent,
    )


def hook(user, url: str = "https://hooks.example.com/t/secret-token-123") -> Webhook:
    return Webhook.objects.create(user=user, url=url, secret="whsec_dGVzdA==")


def alert(user, title: str = "Food is over budget") -> Notification:
    return services.notify(user=user, type=Notification.Type.BUDGET_EXCEEDED, title=title, message="Spent 120 of 100")


def delivery(notification: Notification, **target) -> Delivery:
    return Delivery.objects.get(notification=notification, **target)


def settle(row: Delivery, **outcome) -> None:
    Delivery.objects.filter(pk=row.pk).update(**outcome)


@pytest.fixture
def delivered(user) -> Notification:
    """An alert pushed to a named browser (sent) and to a device without a name (failing),
    and given up on by a webhook answering 500."""
    phone, laptop, webhook = (
        subscribe(user, user_agent="Firefox on Android"),
        subscribe(user, name="laptop"),
        hook(user),
    )
    notification = alert(user)
    settle(
        delivery(notification, push_subscription=phone), state=Delivery.State.SENT, attempts=1, sent_at=timezone.now()
    )
    settle(
        delivery(notification, push_subscription=laptop),
        state=Delivery.State.FAILED,
        attempts=2,
        last_status_code=503,
        last_error="HTTP 503",
    )
    settle(
        delivery(notification, webhook=webhook),
        state=Delivery.State.GIVEN_UP,
        attempts=9,
        last_status_code=500,
        last_error="HTTP 500",
    )
    return notification


def test_the_deliveries_of_ones_own_notification(auth_client, delivered):
    answer = auth_client.get(f"{BASE}/{delivered.pk}/deliveries")
    assert answer.status_code == 200
    rows = answer.json()
    assert [(row["channel"], row["state"], row["target"]) for row in rows] == [
        ("push", "sent", "Firefox on Android"),
        ("push", "failed", "a device"),
        ("webhook", "given_up", "hooks.example.com"),
    ]
    sent, failing, given_up = rows
    assert set(sent) == {
        "key",
        "channel",
        "state",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "sent_at",
        "created_at",
        "target",
    }
    assert sent["key"] == delivery(delivered, channel="push", state="sent").key
    assert sent["key"].startswith("msg_")
    assert sent["sent_at"] and sent["next_attempt_at"] is None and sent["attempts"] == 1
    assert failing["next_attempt_at"] and failing["last_status_code"] == 503 and failing["sent_at"] is None
    assert given_up["next_attempt_at"] is None
    assert (given_up["attempts"], given_up["last_status_code"], given_up["last_error"]) == (9, 500, "HTTP 500")
    # The webhook's URL may carry a token of its own: only its host is shown.
    assert "secret-token" not in answer.content.decode()
    assert auth_client.get(f"{BASE}/{delivered.pk}/deliveries/").json() == rows


def test_a_notification_without_deliveries_has_an_empty_list(auth_client, user):
    notification = services.notify(user=user, type=Notification.Type.SAVING_TIP, title="Tip", message="Save")
    assert auth_client.get(f"{BASE}/{notification.pk}/deliveries").json() == []


def test_another_persons_deliveries_are_404(auth_client, other_client, delivered, other_user):
    assert other_client.get(f"{BASE}/{delivered.pk}/deliveries").status_code == 404
    assert auth_client.get(f"{BASE}/{delivered.pk + 1000}/deliveries").status_code == 404
    assert auth_client.post(f"{BASE}/{delivered.pk}/deliveries").status_code == 405


def test_a_target_gone_since_is_still_named(auth_client, delivered):
    PushSubscription.objects.filter(user_agent="Firefox on Android").delete()
    Webhook.objects.all().delete()
    targets = [row["target"] for row in auth_client.get(f"{BASE}/{delivered.pk}/deliveries").json()]
    assert targets == ["a device", "a device", "a webhook"]


def test_the_list_page_says_how_each_notification_went(page_client, user, delivered):
    Webhook.objects.update(is_active=False)
    quiet = services.notify(user=user, type=Notification.Type.SAVING_TIP, title="Tip", message="Save")
    page = page_client.get("/notifications/")
    summaries = {notification.pk: notification.delivery_summary for notification in page.context["page"].object_list}
    assert summaries == {
        delivered.pk: "Push: sent, retrying (HTTP 503) · Webhook: given up (HTTP 500)",
        quiet.pk: "",
    }


def test_the_summary_line_reads_as_a_sentence_and_is_left_out_when_empty(delivered):
    delivered.delivery_summary = "Push: sent · Webhook: given up (HTTP 500)"
    line = render_to_string("notifications/includes/delivery_summary.html", {"notification": delivered})
    assert line.strip() == (
        '<p class="notification-meta notification-deliveries"><span class="sr-only">Deliveries: </span>'
        "Push: sent · Webhook: given up (HTTP 500)</p>"
    )
    delivered.delivery_summary = ""
    assert render_to_string("notifications/includes/delivery_summary.html", {"notification": delivered}).strip() == ""


def test_the_list_page_counts_alike_outcomes(page_client, user):
    phones = [subscribe(user, name=f"phone-{number}") for number in range(3)]
    notification = alert(user)
    Delivery.objects.filter(notification=notification).update(state=Delivery.State.SENT)
    settle(delivery(notification, push_subscription=phones[0]), state=Delivery.State.GIVEN_UP, last_status_code=410)
    page = page_client.get("/notifications/")
    assert page.context["page"].object_list[0].delivery_summary == "Push: given up (HTTP 410), 2 sent"


def test_the_list_page_reads_every_summary_in_one_query(page_client, user):
    subscribe(user)
    alert(user, "First")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert page_client.get("/notifications/").status_code == 200
        return len(captured)

    few = queries()
    for number in range(6):
        alert(user, f"Alert {number}")
    assert queries() == few


# --- Staff: the admin ------------------------------------------------------------------------


def test_staff_find_a_given_up_delivery_and_resend_it(admin_client, delivered, django_capture_on_commit_callbacks):
    given_up = delivery(delivered, channel="webhook")
    sent = delivery(delivered, channel="push", state="sent")
    listing = admin_client.get("/admin/notifications/delivery/", {"state__exact": "given_up"})
    assert listing.status_code == 200
    shown = [row.pk for row in listing.context["cl"].result_list]
    assert shown == [given_up.pk]
    assert given_up.key in listing.content.decode() and sent.key not in listing.content.decode()

    with django_capture_on_commit_callbacks() as rung:
        answer = admin_client.post(
            "/admin/notifications/delivery/",
            {"action": "resend", "_selected_action": [given_up.pk]},
            follow=True,
        )
    assert "1 delivery queued again." in [str(message) for message in answer.context["messages"]]
    given_up.refresh_from_db()
    assert (given_up.state, given_up.attempts, given_up.claim) == (Delivery.State.PENDING, 0, "")
    assert given_up.next_attempt_at <= timezone.now()
    assert len(rung) == 1  # the job engine's doorbell, once the resend commits
    sent.refresh_from_db()
    assert sent.state == Delivery.State.SENT


def test_resending_several_counts_them(admin_client, delivered):
    rows = list(Delivery.objects.filter(notification=delivered).values_list("pk", flat=True))
    answer = admin_client.post(
        "/admin/notifications/delivery/", {"action": "resend", "_selected_action": rows}, follow=True
    )
    assert "3 deliveries queued again." in [str(message) for message in answer.context["messages"]]
    assert set(Delivery.objects.filter(notification=delivered).values_list("state", "attempts")) == {("pending", 0)}


def test_staff_read_a_delivery_with_its_log_and_search_by_email(admin_client, delivered, user):
    row = delivery(delivered, channel="webhook")
    row.attempt_log.create(status_code=500, error="HTTP 500", duration_ms=42)
    page = admin_client.get(f"/admin/notifications/delivery/{row.pk}/change/")
    assert page.status_code == 200
    assert "HTTP 500" in page.content.decode()
    assert admin_client.get("/admin/notifications/delivery/add/").status_code == 403
    found = admin_client.get("/admin/notifications/delivery/", {"q": user.email})
    assert len(found.context["cl"].result_list) == 3
    by_key = admin_client.get("/admin/notifications/delivery/", {"q": row.key})
    assert [found.pk for found in by_key.context["cl"].result_list] == [row.pk]


def test_staff_never_see_a_webhooks_secret(admin_client, user):
    webhook = hook(user)
    listing = admin_client.get("/admin/notifications/webhook/")
    assert listing.status_code == 200 and "hooks.example.com" in listing.content.decode()
    page = admin_client.get(f"/admin/notifications/webhook/{webhook.pk}/change/")
    assert page.status_code == 200
    assert "whsec_" not in page.content.decode()
    assert "secret" not in page.context["adminform"].form.fields


def test_staff_see_a_push_subscriptions_endpoint_cut_short(admin_client, user):
    subscription = PushSubscription.objects.create(
        user=user, endpoint="https://push.example.net/send/" + "x" * 200, p256dh="BNc-key", auth="auth-secret"
    )
    listing = admin_client.get("/admin/notifications/pushsubscription/").content.decode()
    assert "https://push.example.net/send/xxx" in listing and "x" * 100 not in listing
    page = admin_client.get(f"/admin/notifications/pushsubscription/{subscription.pk}/change/")
    assert page.status_code == 200 and "auth-secret" not in page.content.decode()
