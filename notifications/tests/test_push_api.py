"""The push API: a browser's PushSubscription.toJSON() stored, listed without its keys and
removed; the VAPID public key a browser subscribes with."""

import base64

import pytest
from rest_framework.test import APIClient

from budgetpay.testing.api import assert_refused_naming
from budgetpay.testing.push_service import PushService
from notifications import push
from notifications.models import PushSubscription

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/api/v1/notification/push-subscriptions"
KEY = "/api/v1/notification/push-key"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def push_service(settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = push.vapid_key_pair()
    with PushService(application_server_key=settings.VAPID_PUBLIC_KEY) as service:
        yield service


@pytest.fixture
def browser(push_service) -> dict:
    return push_service.subscription()


@pytest.mark.parametrize("path", [SUBSCRIPTIONS, SUBSCRIPTIONS + "/"])
def test_subscribe_then_again_then_list_without_the_keys(auth_client, user, browser, path):
    created = auth_client.post(path, browser, format="json", HTTP_USER_AGENT="Firefox/140 (Android)")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {"id", "endpoint", "user_agent", "created_at", "last_success_at"}
    assert (body["endpoint"], body["user_agent"], body["last_success_at"]) == (
        browser["endpoint"],
        "Firefox/140 (Android)",
        None,
    )
    stored = PushSubscription.objects.get(pk=body["id"])
    assert (stored.user, stored.p256dh, stored.auth) == (user, browser["keys"]["p256dh"], browser["keys"]["auth"])

    again = auth_client.post(path, browser, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]

    listed = auth_client.get(path)
    assert listed.status_code == 200
    assert listed.json() == [{**body, "user_agent": ""}]  # the second post came without a User-Agent
    assert browser["keys"]["p256dh"] not in listed.content.decode()
    assert browser["keys"]["auth"] not in listed.content.decode()


def test_unsubscribe_deletes_only_one_s_own(auth_client, other_client, push_service):
    mine, theirs = push_service.subscription(), push_service.subscription()
    assert auth_client.post(SUBSCRIPTIONS, mine, format="json").status_code == 201
    assert other_client.post(SUBSCRIPTIONS, theirs, format="json").status_code == 201

    refused = auth_client.delete(SUBSCRIPTIONS, {"endpoint": theirs["endpoint"]}, format="json")
    assert refused.status_code == 404
    assert PushSubscription.objects.filter(endpoint=theirs["endpoint"]).exists()

    assert auth_client.delete(SUBSCRIPTIONS, {"endpoint": mine["endpoint"]}, format="json").status_code == 204
    assert not PushSubscription.objects.filter(endpoint=mine["endpoint"]).exists()
    assert auth_client.delete(SUBSCRIPTIONS + "/", {"endpoint": mine["endpoint"]}, format="json").status_code == 404
    assert auth_client.get(SUBSCRIPTIONS).json() == []


def test_unsubscribe_without_an_endpoint_names_it(auth_client):
    assert_refused_naming(auth_client.delete(SUBSCRIPTIONS, {}, format="json"), "endpoint")


def off_curve_point() -> str:
    return b64(b"\x04" + b"\x00" * 32 + b"\x01" * 32)


@pytest.mark.parametrize(
    "field, value",
    [
        ("keys.p256dh", ""),
        ("keys.p256dh", "not base64 !"),
        ("keys.p256dh", b64(b"\x04" + b"\x01" * 63)),  # 64 bytes
        ("keys.p256dh", off_curve_point()),
        ("keys.p256dh", b64(b"\x02" + b"\x01" * 64)),  # not the uncompressed form
        ("keys.p256dh", "A" * 201),
        ("keys.p256dh", 42),
        ("keys.auth", ""),
        ("keys.auth", b64(b"\x01" * 15)),
        ("keys.auth", b64(b"\x01" * 17)),
        ("keys.auth", "%%%%%%%%%%%%%%%%%%%%%%"),
        ("keys.auth", None),
    ],
)
def test_bad_keys_are_refused_naming_the_key(auth_client, browser, field, value):
    name = field.split(".")[1]
    body = {**browser, "keys": {**browser["keys"], name: value}}
    assert_refused_naming(auth_client.post(SUBSCRIPTIONS, body, format="json"), field)
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("keys", [None, "text", {}, []])
def test_missing_or_malformed_keys_are_refused_naming_keys(auth_client, browser, keys):
    body = {**browser, "keys": keys}
    response = auth_client.post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == 400
    assert all(name.startswith("keys") for name in response.json()["errors"]), response.json()


@pytest.mark.parametrize(
    "endpoint",
    [
        None,
        "",
        "not a url",
        "ftp://127.0.0.1/push/x",
        "http://10.1.2.3/push/x",
        "https://192.168.1.10/push/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/push/x",
        "http://93.184.216.34/push/x",  # a public address, but not https
        "https://" + "a" * 2000 + ".example/",
    ],
)
def test_an_endpoint_that_is_not_a_push_service_is_refused_naming_it(auth_client, browser, endpoint):
    assert_refused_naming(auth_client.post(SUBSCRIPTIONS, {**browser, "endpoint": endpoint}, format="json"), "endpoint")


def test_a_missing_endpoint_is_refused_naming_it(auth_client, browser):
    body = {"keys": browser["keys"]}
    assert_refused_naming(auth_client.post(SUBSCRIPTIONS, body, format="json"), "endpoint")


def test_a_loopback_endpoint_is_refused_unless_its_network_is_allowed(auth_client, browser, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = []
    assert_refused_naming(auth_client.post(SUBSCRIPTIONS, browser, format="json"), "endpoint")
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert auth_client.post(SUBSCRIPTIONS, browser, format="json").status_code == 201


def test_the_body_must_be_an_object(auth_client):
    response = auth_client.post(SUBSCRIPTIONS, ["endpoint"], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_push_key_tells_the_key_and_whether_pushes_are_on(auth_client, settings, push_service):
    response = auth_client.get(KEY)
    assert response.status_code == 200
    assert response.json() == {"public_key": settings.VAPID_PUBLIC_KEY, "enabled": True}
    assert auth_client.get(KEY + "/").status_code == 200

    settings.VAPID_PRIVATE_KEY = ""
    assert auth_client.get(KEY).json()["enabled"] is False


@pytest.mark.parametrize(
    "method, path", [("get", SUBSCRIPTIONS), ("post", SUBSCRIPTIONS), ("delete", SUBSCRIPTIONS), ("get", KEY)]
)
def test_every_push_endpoint_needs_a_signed_in_person(method, path, browser):
    client = APIClient()
    response = client.get(path) if method == "get" else getattr(client, method)(path, browser, format="json")
    assert response.status_code == 401
    assert not PushSubscription.objects.exists()
