"""Signed webhooks end to end in this process: a real budget alert goes through notify(), the
outbox and budgetpay.outbound to a real local receiver that checks the signature; failures,
auto-disable, redirects and private addresses; the services' rules."""

import base64
import json
import socket
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from budgetpay.periods import user_today
from budgetpay.testing.factories import make_budget_this_month, make_notification, make_transaction
from budgetpay.testing.servers import free_port
from budgetpay.testing.webhook_receiver import WebhookReceiver, verify
from notifications import outbox, webhooks
from notifications.models import Delivery, Notification, Webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receivers_allowed")]


def hook_for(user, receiver: WebhookReceiver, types=None) -> Webhook:
    webhook, secret = webhooks.webhook_create(user=user, url=receiver.url, types=types or [])
    receiver.secret = secret
    return webhook


def spend(account, category, amount: str, committed) -> None:
    """An expense saved as the API saves one: its notifications' deliveries go out at commit."""
    with committed(execute=True):
        make_transaction(account, amount=amount, category=category, on=user_today(account.user))


def notify_committed(user, committed) -> Notification:
    with committed(execute=True):
        return make_notification(user)


def make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


class FakeDNS:
    """socket.getaddrinfo as budgetpay.outbound calls it, answering `answers` for named hosts."""

    def __init__(self, monkeypatch) -> None:
        self.answers: dict[str, str] = {}
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host in self.answers:
                return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (self.answers[host], port))]
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# --- Signing ---------------------------------------------------------------------------------


def test_signature_is_the_standard_webhooks_one():
    """The test vector of the Standard Webhooks reference libraries."""
    signature = webhooks.sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = webhooks.new_secret(), webhooks.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    assert webhooks.secret_hint(first) == f"whsec_…{first[-4:]}"


# --- A budget alert reaches the webhook ------------------------------------------------------


def test_a_budget_alert_reaches_the_webhook_signed_with_the_notification_as_the_api_shows_it(
    user, main_account, food, receiver, auth_client, django_capture_on_commit_callbacks
):
    webhook = hook_for(user, receiver)
    make_budget_this_month(user, category=food, amount="100.00")

    spend(main_account, food, "85.00", django_capture_on_commit_callbacks)

    (alert,) = Notification.objects.filter(user=user, type="budget_threshold")
    (received,) = receiver.wait_for(1)
    assert received.verified and received.status == 200
    delivery = Delivery.objects.get(notification=alert, webhook=webhook)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    assert received.id == delivery.key
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "BudgetPay-Webhooks/1"
    assert received.signature == webhooks.sign(receiver.secret, delivery.key, int(received.timestamp), received.body)
    body = received.payload
    assert (body["type"], body["version"]) == ("notification.created", 1)
    assert body["timestamp"] == alert.created_at.isoformat().replace("+00:00", "Z")
    assert body["data"] == auth_client.get(f"/api/v1/notification/{alert.id}").json()
    assert body["data"]["title"] == "Food budget at 80 %"
    assert Webhook.objects.get(pk=webhook.pk).consecutive_failures == 0


def test_a_webhook_receives_only_the_types_it_names(user, main_account, food, django_capture_on_commit_callbacks):
    with WebhookReceiver() as exceeded_only, WebhookReceiver() as everything:
        hook_for(user, exceeded_only, types=["budget_exceeded"])
        hook_for(user, everything)
        make_budget_this_month(user, category=food, amount="100.00")

        spend(main_account, food, "85.00", django_capture_on_commit_callbacks)
        assert [r.payload["data"]["type"] for r in everything.wait_for(1)] == ["budget_threshold"]
        assert exceeded_only.requests == []

        spend(main_account, food, "20.00", django_capture_on_commit_callbacks)
        assert [r.payload["data"]["type"] for r in exceeded_only.wait_for(1)] == ["budget_exceeded"]
        assert [r.payload["data"]["type"] for r in everything.wait_for(2)] == ["budget_threshold", "budget_exceeded"]


# --- Failures and retries --------------------------------------------------------------------


def test_a_retry_after_a_500_carries_the_same_webhook_id_and_body(user, receiver, django_capture_on_commit_callbacks):
    webhook = hook_for(user, receiver)
    receiver.respond(500, times=1, body=b"database is down\n  try later")

    notification = notify_committed(user, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(notification=notification, webhook=webhook)
    assert (delivery.state, delivery.last_status_code) == ("failed", 500)
    assert delivery.last_error == "HTTP 500: database is down try later"
    assert delivery.next_attempt_at > timezone.now()
    assert Webhook.objects.get(pk=webhook.pk).consecutive_failures == 1
    assert outbox.delivery_send(delivery.pk) is None  # not due yet

    make_due(delivery)
    assert outbox.delivery_send(delivery.pk) == "sent"

    first, second = receiver.wait_for_requests(2)
    assert (first.status, second.status) == (500, 200)
    assert first.id == second.id == delivery.key
    assert first.body == second.body and first.verified and second.verified
    assert list(receiver.deliveries) == [delivery.key] and receiver.duplicates == 0
    assert [(a.status_code, a.error) for a in delivery.attempt_log.order_by("id")] == [
        (500, "HTTP 500: database is down try later"),
        (200, ""),
    ]
    assert Webhook.objects.get(pk=webhook.pk).consecutive_failures == 0


def test_fifteen_failures_in_a_row_turn_the_webhook_off_and_tell_the_person(
    user, receiver, settings, django_capture_on_commit_callbacks
):
    assert settings.WEBHOOK_DISABLE_AFTER_FAILURES == 15
    webhook = hook_for(user, receiver)
    receiver.respond(500)

    for _ in range(14):
        notify_committed(user, django_capture_on_commit_callbacks)
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.consecutive_failures) == (True, 14)
    assert set(Delivery.objects.filter(webhook=webhook).values_list("state", flat=True)) == {"failed"}

    notify_committed(user, django_capture_on_commit_callbacks)

    webhook.refresh_from_db()
    assert not webhook.is_active
    assert webhook.disabled_reason == "Turned off after 15 failed deliveries in a row; last error: HTTP 500"
    deliveries = Delivery.objects.filter(webhook=webhook)
    assert deliveries.count() == 15
    assert set(deliveries.values_list("state", flat=True)) == {"given_up"}
    waiting_before = deliveries.order_by("id")[0]
    assert waiting_before.last_error.startswith("The webhook was turned off.")
    assert len(receiver.requests) == 15

    (problem,) = Notification.objects.filter(user=user, type="delivery_problem")
    assert (problem.level, problem.title, problem.is_read) == ("warning", "A webhook was turned off", False)
    assert "127.0.0.1" in problem.message and "15 failed deliveries" in problem.message
    assert (problem.related_type, problem.related_id) == ("webhook", webhook.pk)
    assert not Delivery.objects.filter(notification=problem).exists()

    # Off, it is sent nothing more; turned on again, it starts afresh.
    notify_committed(user, django_capture_on_commit_callbacks)
    assert Delivery.objects.filter(webhook=webhook).count() == 15
    webhooks.webhook_update(webhook=webhook, is_active=True)
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.consecutive_failures, webhook.disabled_reason) == (True, 0, "")


def test_410_gone_turns_the_webhook_off_at_once(user, receiver, django_capture_on_commit_callbacks):
    webhook = hook_for(user, receiver)
    receiver.respond(410, body=b"this hook was removed")

    notification = notify_committed(user, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(notification=notification, webhook=webhook)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("given_up", 1, 410)
    webhook.refresh_from_db()
    assert not webhook.is_active
    assert "410 Gone" in webhook.disabled_reason and "this hook was removed" in webhook.disabled_reason
    assert Notification.objects.filter(user=user, type="delivery_problem").count() == 1


def test_a_redirect_is_not_followed(user, receiver, django_capture_on_commit_callbacks):
    with WebhookReceiver() as target:
        webhook = hook_for(user, receiver)
        target.secret = receiver.secret
        receiver.respond(302, location=target.url)

        notification = notify_committed(user, django_capture_on_commit_callbacks)

        delivery = Delivery.objects.get(notification=notification, webhook=webhook)
        assert (delivery.state, delivery.last_status_code) == ("failed", 302)
        assert delivery.last_error == f"HTTP 302: redirects are not followed (to {target.url})"
        assert len(receiver.requests) == 1
        assert target.requests == []


def test_a_receiver_that_is_not_there_is_tried_again(user, django_capture_on_commit_callbacks):
    webhook, _ = webhooks.webhook_create(user=user, url=f"http://127.0.0.1:{free_port()}/hook")

    notification = notify_committed(user, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(notification=notification, webhook=webhook)
    assert (delivery.state, delivery.last_status_code, delivery.last_error) == ("failed", None, "connection refused")


# --- Outbound safety -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.1.10/hook",
        "http://10.0.0.5:8123/api/webhook/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_a_private_address_is_refused(user, settings, url):
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_create(user=user, url=url)
    assert "private or reserved" in refused.value.message_dict["url"][0]
    assert not Webhook.objects.exists()


def test_a_private_address_is_taken_when_its_network_is_allowed(user, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["192.168.1.0/24"]
    webhook, _ = webhooks.webhook_create(user=user, url="http://192.168.1.10/hook")
    assert webhook.url == "http://192.168.1.10/hook"
    with pytest.raises(ValidationError):
        webhooks.webhook_create(user=user, url="http://192.168.2.10/hook")


def test_a_host_name_that_resolves_to_a_private_address_is_refused(user, monkeypatch):
    dns = FakeDNS(monkeypatch)
    dns.answers["hooks.example.com"] = "10.0.0.7"
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_create(user=user, url="https://hooks.example.com/budget")
    assert "10.0.0.7" in refused.value.message_dict["url"][0]


def test_a_stored_host_that_now_resolves_privately_is_refused_at_sending_and_given_up(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    dns = FakeDNS(monkeypatch)
    dns.answers["hooks.example.com"] = "93.184.216.34"
    webhook, _ = webhooks.webhook_create(user=user, url="http://hooks.example.com/budget")
    dns.answers["hooks.example.com"] = "10.0.0.7"
    attempted = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        # Other connections of the process (the Redis channel layer in CI) go through untouched.
        if address[0] == "10.0.0.7":
            attempted.append(address)
            raise ConnectionRefusedError("the test refuses what the code should never try")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

    notification = notify_committed(user, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(notification=notification, webhook=webhook)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("given_up", 1, None)
    assert delivery.last_error.startswith("refused: ") and "10.0.0.7" in delivery.last_error
    assert attempted == []


# --- Services --------------------------------------------------------------------------------


def test_a_person_has_at_most_webhooks_max_per_person(user, other_user, receiver, settings):
    settings.WEBHOOKS_MAX_PER_PERSON = 2
    webhooks.webhook_create(user=user, url=receiver.url)
    webhooks.webhook_create(user=user, url=receiver.url)
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_create(user=user, url=receiver.url)
    assert "2 webhooks" in refused.value.message_dict["__all__"][0]
    webhooks.webhook_create(user=other_user, url=receiver.url)


@pytest.mark.parametrize("types", [["budget_threshold", "nope"], "budget_threshold", [None]])
def test_types_must_be_notification_types(user, receiver, types):
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_create(user=user, url=receiver.url, types=types)
    assert "types" in refused.value.message_dict


def test_types_are_kept_once_each(user, receiver):
    webhook, _ = webhooks.webhook_create(
        user=user, url=receiver.url, types=["budget_exceeded", "goal_achieved", "budget_exceeded"]
    )
    assert webhook.types == ["budget_exceeded", "goal_achieved"]


def test_an_updated_url_is_checked_again(user, receiver, settings):
    webhook = hook_for(user, receiver)
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_update(webhook=webhook, url="http://10.1.1.1/hook")
    assert "url" in refused.value.message_dict
    assert Webhook.objects.get(pk=webhook.pk).url == receiver.url
    with pytest.raises(TypeError):
        webhooks.webhook_update(webhook=webhook, secret="whsec_AAAA")


def test_turning_a_webhook_off_or_deleting_it_gives_up_what_waits_for_it(
    user, receiver, django_capture_on_commit_callbacks
):
    webhook = hook_for(user, receiver)
    receiver.respond(503)
    waiting = Delivery.objects.get(notification=notify_committed(user, django_capture_on_commit_callbacks))
    assert waiting.state == "failed"

    webhooks.webhook_update(webhook=webhook, is_active=False)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.last_error) == ("given_up", "The webhook was turned off.")

    webhooks.webhook_update(webhook=webhook, is_active=True)
    second = Delivery.objects.get(notification=notify_committed(user, django_capture_on_commit_callbacks))
    webhooks.webhook_delete(webhook=webhook)
    second.refresh_from_db()
    assert (second.state, second.last_error, second.webhook_id) == ("given_up", "The webhook was deleted.", None)


def test_a_test_event_is_signed_with_the_rotated_secret(user, receiver, django_capture_on_commit_callbacks):
    webhook = hook_for(user, receiver)
    old_secret = receiver.secret
    webhook, new_secret = webhooks.webhook_rotate_secret(webhook=webhook)
    assert new_secret != old_secret and Webhook.objects.get(pk=webhook.pk).secret == new_secret
    receiver.secret = new_secret

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.webhook_send_test(webhook=webhook)

    (received,) = receiver.wait_for(1)
    assert received.id == delivery.key and received.verified
    assert not verify(old_secret, received.headers, received.body)
    assert received.payload["type"] == "webhook.test" and received.payload["version"] == 1
    assert received.payload["data"]["webhook_id"] == webhook.pk
    delivery.refresh_from_db()
    assert (delivery.is_test, delivery.notification, delivery.state) == (True, None, "sent")


def test_a_turned_off_webhook_takes_no_test_event(user, receiver):
    webhook = hook_for(user, receiver)
    webhooks.webhook_update(webhook=webhook, is_active=False)
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_send_test(webhook=webhook)
    assert "is_active" in refused.value.message_dict
    assert not Delivery.objects.exists()


def test_the_receiver_refuses_a_bad_signature_and_counts_duplicates(receiver):
    """The stand-in itself: what the tests above rely on it to see."""
    import urllib.error
    import urllib.request

    receiver.secret = webhooks.new_secret()
    body = json.dumps({"type": "webhook.test"}).encode()

    def post(secret: str) -> int:
        import time

        timestamp = int(time.time())
        request = urllib.request.Request(
            receiver.url,
            data=body,
            headers={
                "webhook-id": "msg_1",
                "webhook-timestamp": str(timestamp),
                "webhook-signature": webhooks.sign(secret, "msg_1", timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert post(webhooks.new_secret()) == 401
    assert post(receiver.secret) == 200
    assert post(receiver.secret) == 200
    assert [(r.verified, r.duplicate) for r in receiver.requests] == [(False, False), (True, False), (True, True)]
    assert (list(receiver.deliveries), receiver.duplicates) == (["msg_1"], 1)
