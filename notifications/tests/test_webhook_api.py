"""/api/v1/webhooks through APIClient: CRUD over one's own webhooks, the secret shown once,
refusals naming the field, the test event, a new secret, and the delivery log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from budgetpay.testing.api import assert_refused_naming, bad_values
from budgetpay.testing.webhook_receiver import WebhookReceiver, verify
from notifications import outbox, webhooks
from notifications.models import Delivery, Webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receivers_allowed")]

READ_FIELDS = {
    "id",
    "url",
    "description",
    "types",
    "is_active",
    "disabled_reason",
    "consecutive_failures",
    "secret_hint",
    "created_at",
}


def create(client, receiver: WebhookReceiver, **fields) -> dict:
    response = client.post("/api/v1/webhooks", {"url": receiver.url, **fields}, format="json")
    assert response.status_code == 201, response.json()
    receiver.secret = response.json()["secret"]
    return response.json()


def test_the_secret_is_shown_once_and_then_only_its_hint(auth_client, receiver):
    created = create(auth_client, receiver, description="Home Assistant", types=["budget_exceeded"])
    assert set(created) == READ_FIELDS | {"secret"}
    assert created["secret"].startswith("whsec_")
    assert created["secret_hint"] == f"whsec_…{created['secret'][-4:]}"
    assert (created["url"], created["description"], created["types"]) == (
        receiver.url,
        "Home Assistant",
        ["budget_exceeded"],
    )
    assert (created["is_active"], created["disabled_reason"], created["consecutive_failures"]) == (True, "", 0)
    assert Webhook.objects.get(pk=created["id"]).secret == created["secret"]

    for path in (f"/api/v1/webhooks/{created['id']}", f"/api/v1/webhooks/{created['id']}/"):
        shown = auth_client.get(path).json()
        assert set(shown) == READ_FIELDS and shown["secret_hint"] == created["secret_hint"]
    listed = auth_client.get("/api/v1/webhooks/").json()
    assert listed["count"] == 1 and set(listed["results"][0]) == READ_FIELDS
    assert created["secret"] not in str(auth_client.get("/api/v1/webhooks").content)


def test_omitted_types_mean_every_type_and_a_new_webhook_is_on(auth_client, receiver):
    created = create(auth_client, receiver, is_active=False)
    assert (created["types"], created["is_active"]) == ([], True)


def test_update_and_delete(auth_client, receiver):
    created = create(auth_client, receiver)
    path = f"/api/v1/webhooks/{created['id']}"

    changed = auth_client.patch(path, {"types": ["goal_achieved"], "description": "n8n"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["types"], changed.json()["description"]) == (["goal_achieved"], "n8n")
    off = auth_client.patch(path + "/", {"is_active": False}, format="json").json()
    assert off["is_active"] is False
    assert auth_client.put(path, {"url": receiver.url}, format="json").status_code == 405

    assert auth_client.delete(path).status_code == 204
    assert auth_client.get(path).status_code == 404
    assert not Webhook.objects.exists()


def test_turning_a_turned_off_webhook_back_on_clears_its_failures(auth_client, user, receiver):
    created = create(auth_client, receiver)
    Webhook.objects.filter(pk=created["id"]).update(
        is_active=False, consecutive_failures=15, disabled_reason="Turned off after 15 failed deliveries in a row"
    )
    shown = auth_client.get(f"/api/v1/webhooks/{created['id']}").json()
    assert (shown["is_active"], shown["consecutive_failures"]) == (False, 15)
    assert shown["disabled_reason"].startswith("Turned off after 15")

    on = auth_client.patch(f"/api/v1/webhooks/{created['id']}", {"is_active": True}, format="json").json()
    assert (on["is_active"], on["consecutive_failures"], on["disabled_reason"]) == (True, 0, "")


@pytest.mark.parametrize(
    ("field", "value"),
    bad_values(
        url=["", "not a url", "ftp://example.com/hook", "http://192.168.1.10/hook", "http://user:pw@example.com/"],
        types=[["nope"], "budget_threshold", None],
        description=["x" * 201],
    ),
)
def test_bad_input_is_refused_naming_the_field(auth_client, receiver, field, value):
    response = auth_client.post("/api/v1/webhooks", {"url": receiver.url, field: value}, format="json")
    assert_refused_naming(response, field)
    assert not Webhook.objects.exists()


def test_a_private_address_is_refused_with_the_reason(auth_client, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    response = auth_client.post("/api/v1/webhooks", {"url": "http://192.168.1.10/hook"}, format="json")
    assert_refused_naming(response, "url")
    assert "private or reserved network address" in response.json()["message"]

    settings.WEBHOOKS_ALLOWED_NETWORKS = ["192.168.1.0/24"]
    assert auth_client.post("/api/v1/webhooks", {"url": "http://192.168.1.10/hook"}, format="json").status_code == 201


def test_an_update_to_a_private_address_is_refused(auth_client, receiver):
    created = create(auth_client, receiver)
    response = auth_client.patch(f"/api/v1/webhooks/{created['id']}", {"url": "http://10.0.0.5/hook"}, format="json")
    assert_refused_naming(response, "url")
    assert Webhook.objects.get(pk=created["id"]).url == receiver.url


def test_too_many_webhooks_are_refused(auth_client, receiver, settings):
    settings.WEBHOOKS_MAX_PER_PERSON = 1
    create(auth_client, receiver)
    response = auth_client.post("/api/v1/webhooks", {"url": receiver.url}, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("You have 1 webhooks, the most")
    assert "non_field_errors" in response.json()["errors"]
    assert Webhook.objects.count() == 1


def test_another_persons_webhook_is_not_found_on_every_verb(auth_client, other_client, receiver):
    created = create(other_client, receiver)
    path = f"/api/v1/webhooks/{created['id']}"
    assert auth_client.get(path).status_code == 404
    assert auth_client.patch(path, {"description": "mine now"}, format="json").status_code == 404
    assert auth_client.delete(path).status_code == 404
    assert auth_client.post(path + "/test").status_code == 404
    assert auth_client.post(path + "/rotate-secret").status_code == 404
    assert auth_client.get(path + "/deliveries").status_code == 404
    assert auth_client.get("/api/v1/webhooks").json()["count"] == 0
    stored = Webhook.objects.get(pk=created["id"])
    assert (stored.description, stored.secret) == ("", created["secret"])
    assert not Delivery.objects.exists()


def test_the_api_needs_a_signed_in_person(api_client):
    assert api_client.get("/api/v1/webhooks").status_code == 401
    assert api_client.post("/api/v1/webhooks", {"url": "https://example.com/"}, format="json").status_code == 401


def test_a_test_event_is_accepted_and_received(auth_client, receiver, django_capture_on_commit_callbacks):
    created = create(auth_client, receiver)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"/api/v1/webhooks/{created['id']}/test")

    assert response.status_code == 202, response.json()
    queued = response.json()
    assert (queued["is_test"], queued["notification"], queued["state"], queued["attempt_log"]) == (
        True,
        None,
        "pending",
        [],
    )
    (received,) = receiver.wait_for(1)
    assert received.verified and received.id == queued["key"]
    assert received.payload["type"] == "webhook.test"
    assert received.payload["data"]["webhook_id"] == created["id"]


def test_a_new_secret_changes_the_signing_key(auth_client, receiver, django_capture_on_commit_callbacks):
    created = create(auth_client, receiver)

    rotated = auth_client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/")

    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != created["secret"]
    assert rotated.json()["secret_hint"] == f"whsec_…{new_secret[-4:]}"
    receiver.secret = new_secret
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/v1/webhooks/{created['id']}/test")
    (received,) = receiver.wait_for(1)
    assert verify(new_secret, received.headers, received.body)
    assert not verify(created["secret"], received.headers, received.body)


def test_the_delivery_log_shows_each_try_newest_delivery_first(
    auth_client, receiver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    created = create(auth_client, receiver)
    receiver.respond(500, times=1, body=b"oops")
    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post(f"/api/v1/webhooks/{created['id']}/test").json()
    delivery = Delivery.objects.get(key=first["key"])
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.delivery_send(delivery.pk) == "sent"
    with django_capture_on_commit_callbacks(execute=True):
        second = auth_client.post(f"/api/v1/webhooks/{created['id']}/test").json()

    with django_assert_max_num_queries(5):
        log = auth_client.get(f"/api/v1/webhooks/{created['id']}/deliveries")

    assert log.status_code == 200
    body = log.json()
    assert body["count"] == 2
    assert [d["key"] for d in body["results"]] == [second["key"], first["key"]]
    retried = body["results"][1]
    assert (retried["state"], retried["attempts"], retried["last_status_code"], retried["last_error"]) == (
        "sent",
        2,
        200,
        "",
    )
    assert [(a["status_code"], a["error"]) for a in retried["attempt_log"]] == [(500, "HTTP 500: oops"), (200, "")]
    assert set(retried["attempt_log"][0]) == {"at", "status_code", "error", "duration_ms"}
    assert retried["sent_at"] and retried["created_at"] and retried["next_attempt_at"]
    assert body["results"][0]["attempt_log"][0]["status_code"] == 200


def test_the_delivery_log_lists_notification_deliveries_too(
    auth_client, user, receiver, django_capture_on_commit_callbacks
):
    from budgetpay.testing.factories import make_notification

    created = create(auth_client, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        notification = make_notification(user)
    (entry,) = auth_client.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()["results"]
    assert (entry["notification"], entry["is_test"], entry["state"]) == (notification.id, False, "sent")
    assert webhooks.webhook_list(user=user).get().consecutive_failures == 0
