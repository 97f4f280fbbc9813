import pytest

from notifications import services
from notifications.models import Notification

pytestmark = pytest.mark.django_db

BASE = "/api/v1/notification"


def make(user, type=Notification.Type.INCOME_RECEIVED, **extra):
    return services.notify(user=user, type=type, title=extra.pop("title", "Hello"), message="Body", **extra)


def test_list_is_newest_first_with_unread_count_and_filters(auth_client, user, other_user):
    first = make(user)
    second = make(user, type=Notification.Type.LARGE_EXPENSE, level=Notification.Level.WARNING)
    make(other_user)
    services.notification_mark_read(notification=first)

    for path in (BASE, BASE + "/"):
        body = auth_client.get(path).json()
        assert [item["id"] for item in body["results"]] == [second.id, first.id]
        assert body["unread_count"] == 1
        assert body["count"] == 2

    assert [n["id"] for n in auth_client.get(BASE, {"unread_only": "true"}).json()["results"]] == [second.id]
    assert [n["id"] for n in auth_client.get(BASE, {"is_read": "true"}).json()["results"]] == [first.id]
    assert [n["id"] for n in auth_client.get(BASE, {"type": "large_expense"}).json()["results"]] == [second.id]
    assert auth_client.get(BASE, {"type": "nonsense"}).status_code == 400


def test_item_shape_matches_the_seed(auth_client, user):
    notification = make(user, data={"budget_id": 3}, title="Food at 80 %")
    item = auth_client.get(f"{BASE}/{notification.id}").json()
    assert item["title"] == "Food at 80 %"
    assert item["data"] == {"budget_id": 3}
    assert item["type"] == "income_received"
    assert item["type_display"] == "Income received"
    assert {"id", "level", "message", "is_read", "created_at", "related_type", "related_id"} <= item.keys()


def test_unread_count_read_patch_read_all_and_delete(auth_client, user):
    first, second, third = make(user), make(user), make(user)
    assert auth_client.get(f"{BASE}/unread-count").json() == {"unread_count": 3}

    read = auth_client.post(f"{BASE}/{first.id}/read")
    assert read.status_code == 200 and read.json()["is_read"] is True and read.json()["read_at"]
    assert auth_client.patch(f"{BASE}/{first.id}", {"is_read": False}, format="json").json()["is_read"] is False
    assert auth_client.patch(f"{BASE}/{first.id}/", {"is_read": "maybe"}, format="json").status_code == 400

    assert auth_client.post(f"{BASE}/read_all").json() == {"marked": 3}
    assert auth_client.post(f"{BASE}/read_all/").json() == {"marked": 0}
    assert auth_client.get(f"{BASE}/unread-count/").json() == {"unread_count": 0}

    assert auth_client.delete(f"{BASE}/{third.id}").status_code == 204
    assert not Notification.objects.filter(pk=third.pk).exists()
    assert Notification.objects.filter(pk=second.pk).exists()


def test_another_users_notification_is_404_on_every_route(auth_client, other_user):
    theirs = make(other_user)
    assert auth_client.get(f"{BASE}/{theirs.id}").status_code == 404
    assert auth_client.patch(f"{BASE}/{theirs.id}", {"is_read": True}, format="json").status_code == 404
    assert auth_client.post(f"{BASE}/{theirs.id}/read").status_code == 404
    assert auth_client.delete(f"{BASE}/{theirs.id}").status_code == 404
    assert auth_client.post(f"{BASE}/read_all").json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.is_read is False
    assert auth_client.get(f"{BASE}/not-a-number").status_code == 404


def test_preferences_round_trip_and_reject_unknown_types(auth_client, user):
    preferences = auth_client.get(f"{BASE}/preferences").json()
    assert preferences["expense_recorded"] is False
    assert preferences["budget_threshold"] is True

    changed = auth_client.patch(
        f"{BASE}/preferences", {"expense_recorded": True, "budget_threshold": False}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["expense_recorded"] is True and changed.json()["budget_threshold"] is False
    assert make(user, type=Notification.Type.BUDGET_THRESHOLD) is None

    bad = auth_client.patch(f"{BASE}/preferences", {"nope": True, "saving_tip": "yes"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"nope", "saving_tip"}


def test_requires_authentication(api_client):
    assert api_client.get(BASE).status_code == 401


def test_list_query_count_does_not_grow_with_the_page(auth_client, user, django_assert_max_num_queries):
    for _ in range(3):
        make(user)
    with django_assert_max_num_queries(5):
        auth_client.get(BASE)
    for _ in range(40):
        make(user)
    with django_assert_max_num_queries(5):
        assert len(auth_client.get(BASE).json()["results"]) == 43


def test_staff_broadcast_from_the_admin(client, user, other_user):
    from users.models import User

    staff = User.objects.create_superuser(email="boss@example.com", password="x-long-password-1")
    client.force_login(staff)
    page = client.get("/admin/notifications/notification/broadcast/")
    assert page.status_code == 200
    empty = client.post(
        "/admin/notifications/notification/broadcast/", {"title": "Hi", "message": "M", "level": "info"}
    )
    assert b"Choose recipients" in empty.content
    sent = client.post(
        "/admin/notifications/notification/broadcast/",
        {"title": "Maintenance", "message": "Tonight 22:00 UTC", "level": "warning", "everyone": "on"},
    )
    assert sent.status_code == 302
    announcements = Notification.objects.filter(type=Notification.Type.ANNOUNCEMENT, source="staff")
    assert set(announcements.values_list("user__email", flat=True)) == {user.email, other_user.email, staff.email}

    chosen = client.post(
        "/admin/notifications/notification/broadcast/",
        {"title": "Only you", "message": "M", "level": "info", "recipients": [other_user.pk]},
    )
    assert chosen.status_code == 302
    assert list(Notification.objects.filter(title="Only you").values_list("user", flat=True)) == [other_user.pk]
