import time
from functools import partial

import pytest
from django.db import connection, transaction

from budgetpay.testing.concurrency import each_at_once
from budgetpay.testing.services import REQUIRE_SERVICES
from notifications import services
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def ring(user, **overrides):
    fields = {"user": user, "type": Notification.Type.INCOME_RECEIVED, "title": "Salary", "message": "Paid."}
    return services.notify(**{**fields, **overrides})


def test_notify_stores_the_row_and_pushes_after_commit(user, django_capture_on_commit_callbacks, monkeypatch):
    pushed = []
    monkeypatch.setattr(services, "_push", lambda user_id, message: pushed.append((user_id, message)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = ring(user, data={"amount": "12.50"}, level=Notification.Level.SUCCESS)
        assert pushed == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert Notification.objects.get() == notification
    ((user_id, message),) = pushed
    assert user_id == user.pk
    assert message["type"] == "notification.created"
    assert message["notification"]["id"] == notification.id
    assert message["notification"]["data"] == {"amount": "12.50"}
    assert message["unread_count"] == 1


def test_a_rolled_back_write_stores_and_pushes_nothing(user, monkeypatch):
    pushed = []
    monkeypatch.setattr(services, "_push", lambda user_id, message: pushed.append(message))
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            ring(user)
            raise RuntimeError("the write failed")
    assert not Notification.objects.exists()
    assert pushed == []


def test_the_same_dedupe_key_notifies_once(user):
    assert ring(user, dedupe_key="budget:1:2026-11:80") is not None
    assert ring(user, dedupe_key="budget:1:2026-11:80") is None
    assert ring(user, dedupe_key="budget:1:2026-12:80") is not None
    assert Notification.objects.count() == 2


def test_a_muted_type_is_not_created(user):
    services.preferences_update(user=user, changes={Notification.Type.INCOME_RECEIVED: False})
    assert ring(user) is None
    assert not Notification.objects.exists()


def test_expense_receipts_are_off_until_turned_on(user):
    assert ring(user, type=Notification.Type.EXPENSE_RECORDED) is None
    services.preferences_update(user=user, changes={Notification.Type.EXPENSE_RECORDED: True})
    assert ring(user, type=Notification.Type.EXPENSE_RECORDED) is not None


def test_a_failing_channel_layer_never_breaks_the_write(user, settings, django_capture_on_commit_callbacks, caplog):
    from budgetpay.testing.servers import free_port

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{free_port()}/0", "socket_connect_timeout": 1}]},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        notification = ring(user)
    assert Notification.objects.filter(pk=notification.pk).exists()
    assert "the client will replay it" in caplog.text


def test_ids_rise_and_mark_all_read_counts(user, other_user):
    first, second = ring(user), ring(user)
    ring(other_user)
    assert second.id > first.id
    assert services.notification_mark_all_read(user=user) == 2
    assert services.notification_mark_all_read(user=user) == 0
    assert Notification.objects.filter(user=other_user, is_read=False).count() == 1


def test_each_push_carries_the_previous_id_and_the_unread_count_at_its_commit(
    user, other_user, django_capture_on_commit_callbacks, monkeypatch
):
    pushed = []
    monkeypatch.setattr(services, "_push", lambda user_id, message: pushed.append((user_id, message)))
    with django_capture_on_commit_callbacks(execute=True):
        first = ring(user)
    with django_capture_on_commit_callbacks(execute=True):
        ring(other_user)  # someone else's notifications count for neither
    services.notification_mark_read(notification=first)
    pushed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = ring(user, dedupe_key="a")
        third = ring(user, dedupe_key="b")
        muted = ring(user, type=Notification.Type.EXPENSE_RECORDED)  # off by default
        again = ring(user, dedupe_key="a")
    assert muted is None and again is None
    messages = [message for user_id, message in pushed if message["type"] == "notification.created"]
    assert [(m["notification"]["id"], m["previous_id"], m["unread_count"]) for m in messages] == [
        (second.id, first.id, 1),
        (third.id, second.id, 2),
    ]
    assert all(user_id == user.pk for user_id, _ in pushed)


def test_notifying_a_user_who_is_gone_fails_loudly(user):
    gone = type(user).objects.get(pk=user.pk)
    type(user).objects.filter(pk=user.pk).delete()
    with pytest.raises(type(user).DoesNotExist):
        ring(gone)


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES, reason="row locks: PostgreSQL (CI runs it there)"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_for_one_person_dedupe_and_chain_their_ids(user, monkeypatch):
    """Eight writers at once, four of them with the same dedupe key, each holding its
    transaction open a moment after notify(): one of the four is stored, nobody's
    write fails, and every push names the id committed just before it."""
    assert connection.vendor == "postgresql"
    pushed = []
    monkeypatch.setattr(services, "_push", lambda user_id, message: pushed.append(message))

    def write(index: int) -> None:
        with transaction.atomic():
            ring(user, title=f"n{index}", dedupe_key="same" if index % 2 else f"own-{index}")
            time.sleep(0.05)  # the rest of the request, with the lock held

    each_at_once([partial(write, index) for index in range(8)])  # raises what any writer raised
    stored = list(Notification.objects.order_by("id").values_list("id", flat=True))
    assert len(stored) == 5 and Notification.objects.filter(dedupe_key="same").count() == 1
    chain = sorted((m["notification"]["id"], m["previous_id"], m["unread_count"]) for m in pushed)
    assert chain == [(nid, ([0] + stored)[i], i + 1) for i, nid in enumerate(stored)]
