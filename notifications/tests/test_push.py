"""Web push end to end in one process: a notification's delivery is encrypted, VAPID-signed and
POSTed to a real local push service (budgetpay.testing.push_service), which verifies the
signature and decrypts the payload with the browser's keys; the outcome lands on the Delivery."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from budgetpay.periods import user_today
from budgetpay.testing.clock import freeze_now
from budgetpay.testing.factories import main_account_of, make_budget_this_month, make_category, make_transaction
from budgetpay.testing.push_service import PushService
from notifications import outbox, push
from notifications.models import Delivery, DeliverySettings, Notification, PushSubscription
from notifications.services import notify, preference_matrix_update

pytestmark = pytest.mark.django_db


def subscribe(user, service: PushService) -> PushSubscription:
    browser = service.subscription()
    subscription, created = push.push_subscription_save(
        user=user, endpoint=browser["endpoint"], user_agent="Firefox on a phone", **browser["keys"]
    )
    assert created
    return subscription


@pytest.fixture
def device(user, push_service) -> PushSubscription:
    return subscribe(user, push_service)


@pytest.fixture
def food_budget(user):
    food = make_category(user, name="Food")
    return food, make_budget_this_month(user, amount="100.00", category=food)


def cross_eighty_percent(user, food, commits) -> Notification:
    """An expense of 85.00 on a budget of 100.00 this month: the budget_threshold alert."""
    with commits(execute=True):
        make_transaction(main_account_of(user), amount="85.00", category=food, on=user_today(user))
    return Notification.objects.get(user=user, type=Notification.Type.BUDGET_THRESHOLD)


def alert(user, title: str = "Food budget at 80 %", **extra) -> Notification:
    return notify(
        user=user,
        type=Notification.Type.BUDGET_THRESHOLD,
        title=title,
        message=extra.pop("message", "You have spent 85.00 of 100.00."),
        level=Notification.Level.WARNING,
        **extra,
    )


def test_a_budget_alert_arrives_encrypted_signed_and_marked_sent(
    user, device, food_budget, push_service, vapid, django_capture_on_commit_callbacks
):
    food, budget = food_budget
    notification = cross_eighty_percent(user, food, django_capture_on_commit_callbacks)

    (message,) = push_service.wait_for(1)
    delivery = Delivery.objects.get(notification=notification)
    assert message.endpoint == device.endpoint
    assert message.payload == {
        "id": delivery.key,
        "notification_id": notification.id,
        "type": "budget_threshold",
        "title": "Food budget at 80 %",
        "message": notification.message,
        "level": "warning",
        "url": reverse("budgets:edit", args=[budget.id]),
        "tag": message.topic,
        "created_at": notification.created_at.isoformat(),
    }
    assert "85.00" in message.payload["message"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", message.topic)
    assert message.urgency == "high"  # a warning
    assert message.ttl == push.TTL_SECONDS
    assert message.vapid_key == vapid["VAPID_PUBLIC_KEY"]
    assert message.claims["aud"] == push_service.origin
    assert message.claims["sub"] == "mailto:ops@budgetpay.example"
    assert push_service.rejected == []

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("sent", 1, 201)
    assert [attempt.status_code for attempt in delivery.attempt_log.all()] == [201]
    device.refresh_from_db()
    assert device.last_success_at is not None


def test_an_info_notification_is_pushed_with_normal_urgency_and_the_list_as_its_page(
    user, device, push_service, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=user, type=Notification.Type.ANNOUNCEMENT, title="New feature", message="Hello.")
    (message,) = push_service.wait_for(1)
    assert message.urgency == "normal"
    assert message.payload["url"] == reverse("notifications:list")
    assert message.payload["notification_id"] == notification.id


def test_push_hides_amounts_leaves_no_figure_in_what_the_lock_screen_shows(
    user, device, food_budget, push_service, django_capture_on_commit_callbacks
):
    DeliverySettings.objects.create(user=user, push_hides_amounts=True)
    food, _ = food_budget
    notification = cross_eighty_percent(user, food, django_capture_on_commit_callbacks)

    (message,) = push_service.wait_for(1)
    assert "85.00" in notification.message  # the stored notification keeps them
    assert message.payload["title"] == "Budget threshold reached"
    assert message.payload["message"] == push.HIDDEN_MESSAGE
    assert not re.search(r"\d", message.payload["title"] + message.payload["message"])
    text = message.plaintext.decode()
    assert "85.00" not in text and "100.00" not in text and "80 %" not in text


def test_an_unsubscribed_browser_410_removes_the_device_and_gives_up(
    user, device, push_service, django_capture_on_commit_callbacks
):
    push_service.answer_gone(device.endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        notification = alert(user)

    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.state, delivery.last_status_code, delivery.push_subscription_id) == ("given_up", 410, None)
    assert not PushSubscription.objects.filter(pk=device.pk).exists()
    assert push_service.messages == []


def test_a_delivery_still_waiting_for_a_removed_device_is_given_up_unsent(
    user, device, push_service, django_capture_on_commit_callbacks
):
    first = alert(user, title="First")  # rung only if the test's transaction commits: it waits
    push.subscription_gone(subscription_id=device.pk)
    delivery = Delivery.objects.get(notification=first)
    assert outbox.delivery_send(delivery.pk) == "given_up"
    assert push_service.requests == []


@pytest.mark.parametrize("status", [500, 429])
def test_a_failing_push_service_is_tried_again_under_the_same_id(
    user, device, push_service, status, django_capture_on_commit_callbacks
):
    push_service.fail_next(1, status=status)
    with django_capture_on_commit_callbacks(execute=True):
        notification = alert(user)
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("failed", 1, status)
    assert delivery.next_attempt_at > timezone.now()
    assert push_service.messages == []

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.delivery_send(delivery.pk) == "sent"

    (message,) = push_service.wait_for(1)
    assert message.payload["id"] == delivery.key
    assert [request["status"] for request in push_service.requests] == [status, 201]
    assert [attempt.status_code for attempt in delivery.attempt_log.order_by("id")] == [status, 201]


def test_a_burst_sends_the_minute_s_allowance_and_defers_the_rest_without_a_try(
    user, device, push_service, settings, django_capture_on_commit_callbacks
):
    assert settings.PUSH_MAX_PER_MINUTE == 4
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(6):
            alert(user, title=f"Alert {number}")

    assert [message.payload["title"] for message in push_service.wait_for(4)] == [f"Alert {n}" for n in range(4)]
    assert len(push_service.requests) == 4
    deliveries = list(Delivery.objects.order_by("id"))
    assert [delivery.state for delivery in deliveries] == ["sent"] * 4 + ["pending"] * 2
    now = timezone.now()
    for waiting in deliveries[4:]:
        assert waiting.attempts == 0
        assert not waiting.attempt_log.exists()
        assert now < waiting.next_attempt_at <= now + timedelta(seconds=61)


def test_the_wait_is_until_the_oldest_of_the_minute_s_pushes_leaves_it(user, device, settings, monkeypatch):
    """Four notifications pushed 50, 40, 30 and 20 seconds ago (the first of them to a second
    device too, 5 s ago: it counts once, from its first send), one 70 s ago (out of the
    window): the fifth may go in 10 s, when the 50-second-old one leaves the minute. A
    notification's own copy to another device never holds it back."""
    now = freeze_now(monkeypatch, timezone.now()).now
    sent = []
    for seconds_ago in (70, 50, 40, 30, 20):
        notification = alert(user, title=f"{seconds_ago} s ago")
        Delivery.objects.filter(notification=notification).update(
            state="sent", sent_at=now - timedelta(seconds=seconds_ago)
        )
        sent.append(notification)
    copy = Delivery.objects.get(notification=sent[1])
    Delivery.objects.create(
        key="msg_copy",
        notification=sent[1],
        user=user,
        channel="push",
        state="sent",
        sent_at=now - timedelta(seconds=5),
    )
    assert push._rate_wait(copy) is None  # its own copies do not count: three others are in the minute
    waiting = Delivery.objects.get(notification=alert(user, title="now"))
    assert push._rate_wait(waiting) == 10.0
    settings.PUSH_MAX_PER_MINUTE = 5
    assert push._rate_wait(waiting) is None


def test_one_notification_to_two_devices_counts_once_towards_the_allowance(
    user, device, push_service, django_capture_on_commit_callbacks
):
    phone = subscribe(user, push_service)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(4):
            alert(user, title=f"Alert {number}")
    messages = push_service.wait_for(8)
    assert {message.endpoint for message in messages} == {device.endpoint, phone.endpoint}
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_burst_about_one_budget_shares_a_topic_and_other_budgets_do_not(user, food_budget):
    food, budget = food_budget
    travel = make_budget_this_month(user, amount="50.00", category=make_category(user, name="Travel"))
    first, second, other = (
        alert(user, title="one", related=budget),
        alert(user, title="two", related=budget),
        alert(user, title="three", related=travel),
    )
    assert push.collapse_key(first) == push.collapse_key(second) != push.collapse_key(other)
    unrelated = [alert(user, title=f"no budget {n}") for n in range(2)]
    assert push.collapse_key(unrelated[0]) != push.collapse_key(unrelated[1])


def test_in_app_off_and_push_on_stores_the_notification_read_and_still_pushes(
    user, device, food_budget, push_service, django_capture_on_commit_callbacks
):
    preference_matrix_update(user=user, changes={"budget_threshold": {"in_app": False, "push": True}})
    food, _ = food_budget
    notification = cross_eighty_percent(user, food, django_capture_on_commit_callbacks)
    assert notification.is_read
    (message,) = push_service.wait_for(1)
    assert message.payload["notification_id"] == notification.id


def test_push_off_for_the_type_sends_nothing(user, device, push_service, django_capture_on_commit_callbacks):
    preference_matrix_update(user=user, changes={"budget_threshold": {"push": False}})
    with django_capture_on_commit_callbacks(execute=True):
        alert(user)
    assert not Delivery.objects.exists()
    assert push_service.requests == []


def test_a_long_message_is_shortened_to_what_a_push_service_takes(
    user, device, push_service, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alert(user, message="€" * 2000)
    (message,) = push_service.wait_for(1)
    assert len(message.plaintext) <= push.MAX_PAYLOAD_BYTES
    assert message.payload["message"].endswith("…")
    assert set(message.payload["message"][:-1]) == {"€"}


def test_a_stored_endpoint_on_a_private_address_is_refused_at_send_time(
    user, device, push_service, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOWED_NETWORKS = []  # the push service's 127.0.0.1 is no longer allowed
    inside = PushSubscription.objects.create(
        user=user, endpoint="http://10.1.2.3/push/x", p256dh=device.p256dh, auth=device.auth
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification = alert(user)
    deliveries = list(Delivery.objects.filter(notification=notification))
    assert {d.push_subscription_id for d in deliveries} == {device.pk, inside.pk}
    for delivery in deliveries:
        assert delivery.state == "given_up"
        assert delivery.last_error.startswith("Refused: ")
        assert "private" in delivery.last_error
    assert push_service.requests == []


def test_an_endpoint_on_a_private_address_is_refused_at_subscribe(user, push_service, settings):
    browser = push_service.subscription()
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    for endpoint in (browser["endpoint"], "http://10.1.2.3/push/x", "https://192.168.1.1/push/x"):
        with pytest.raises(ValidationError) as refused:
            push.push_subscription_save(user=user, endpoint=endpoint, **browser["keys"])
        assert list(refused.value.message_dict) == ["endpoint"]
    assert not PushSubscription.objects.exists()


def test_a_push_signed_with_another_key_is_refused_by_the_push_service(
    user, device, push_service, settings, django_capture_on_commit_callbacks
):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = push.vapid_key_pair()
    with django_capture_on_commit_callbacks(execute=True):
        notification = alert(user)
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.state, delivery.last_status_code) == ("failed", 403)
    assert [rejection["status"] for rejection in push_service.rejected] == [403]
    assert push_service.messages == []


def test_without_vapid_keys_a_push_is_given_up_with_the_reason(
    user, device, push_service, settings, django_capture_on_commit_callbacks
):
    settings.VAPID_PRIVATE_KEY = ""
    with django_capture_on_commit_callbacks(execute=True):
        notification = alert(user)
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.state, delivery.last_error) == ("given_up", push.NOT_CONFIGURED)
    assert push_service.requests == []
    assert not push.push_enabled()


def test_a_public_key_that_is_not_the_private_key_s_is_not_a_configuration(settings, vapid):
    assert push.push_enabled()
    settings.VAPID_PUBLIC_KEY = push.vapid_key_pair()[0]
    assert not push.push_enabled()


def test_vapid_keys_prints_env_lines_of_the_right_sizes():
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"]
    public, private = (line.split("=", 1)[1] for line in lines)
    assert re.fullmatch(r"[A-Za-z0-9_-]{87}", public) and re.fullmatch(r"[A-Za-z0-9_-]{43}", private)
    assert push.b64url_decode(public)[0] == 0x04 and len(push.b64url_decode(private)) == 32


def test_an_endpoint_another_person_stored_moves_without_what_waited_for_them(
    user, other_user, device, push_service, django_capture_on_commit_callbacks
):
    waiting = Delivery.objects.get(notification=alert(user))  # not rung: the test's transaction holds it
    browser_keys = {"p256dh": device.p256dh, "auth": device.auth}
    moved, created = push.push_subscription_save(user=other_user, endpoint=device.endpoint, **browser_keys)
    assert created and moved.user == other_user
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [other_user.pk]

    assert outbox.delivery_send(waiting.pk) == "given_up"
    with django_capture_on_commit_callbacks(execute=True):
        alert(other_user, title="For the new person")
    (message,) = push_service.wait_for(1)
    assert message.payload["title"] == "For the new person"


def test_saving_the_same_endpoint_again_updates_its_keys(user, device, push_service):
    fresh = push_service.subscription()["keys"]
    again, created = push.push_subscription_save(user=user, endpoint=device.endpoint, **fresh)
    assert not created and again.pk == device.pk
    assert (again.p256dh, again.auth) == (fresh["p256dh"], fresh["auth"])


def test_a_person_keeps_their_newest_twenty_devices(user, push_service):
    devices = [subscribe(user, push_service) for _ in range(push.MAX_SUBSCRIPTIONS_PER_PERSON + 1)]
    kept = set(PushSubscription.objects.filter(user=user).values_list("pk", flat=True))
    assert kept == {d.pk for d in devices[1:]}


def test_a_padded_or_standard_base64_key_is_stored_unpadded(user, push_service):
    browser = push_service.subscription()
    keys = browser["keys"]
    padded = {"p256dh": keys["p256dh"] + "=", "auth": keys["auth"].replace("-", "+").replace("_", "/") + "=="}
    subscription, _ = push.push_subscription_save(user=user, endpoint=browser["endpoint"], **padded)
    assert (subscription.p256dh, subscription.auth) == (keys["p256dh"], keys["auth"])
