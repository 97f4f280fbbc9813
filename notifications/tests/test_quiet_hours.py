"""Quiet hours (notifications.quiet_hours): when a person's pushes and immediate emails are held
(hold(), with the clock stopped across time zones and DST days), what is sent at their end (one
summary per device to the local push service, the emails folded into the daily digest), and the
API a person sets them with. The expected instants are written out in UTC by hand, not computed
with the code under test."""

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from budgetpay import jobs
from budgetpay.testing.clock import freeze_now
from budgetpay.testing.concurrency import at_once
from budgetpay.testing.people import make_user
from budgetpay.testing.push_service import PushService
from budgetpay.testing.services import REQUIRE_SERVICES
from notifications import outbox, push, quiet_hours
from notifications.models import Channel, Delivery, DeliverySettings, Notification, PushSubscription

pytestmark = pytest.mark.django_db

URL = "/api/v1/notification/quiet-hours"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def set_quiet_hours(user, start: str | None, end: str | None, zone: str | None = None) -> None:
    if zone is not None:
        user.timezone = zone
        user.save(update_fields=["timezone"])
    DeliverySettings.objects.update_or_create(
        user=user,
        defaults={
            "quiet_hours_start": time.fromisoformat(start) if start else None,
            "quiet_hours_end": time.fromisoformat(end) if end else None,
        },
    )


# --- hold() ------------------------------------------------------------------------------------


def test_without_quiet_hours_nothing_is_held(user):
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 6, 10, 23, 30)) is None
    set_quiet_hours(user, None, None)
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 6, 10, 23, 30)) is None
    DeliverySettings.objects.filter(user=user).update(quiet_hours_start=time(22))  # half set: off
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 6, 10, 23, 30)) is None


@pytest.mark.parametrize(
    ("now", "end"),
    [
        (utc(2025, 6, 10, 13, 0), utc(2025, 6, 10, 15, 0)),  # the start itself is quiet
        (utc(2025, 6, 10, 14, 59), utc(2025, 6, 10, 15, 0)),
        (utc(2025, 6, 10, 15, 0), None),  # the end is not
        (utc(2025, 6, 10, 12, 59), None),
        (utc(2025, 6, 10, 23, 0), None),
    ],
)
def test_hours_within_one_day(user, now, end):
    set_quiet_hours(user, "13:00", "15:00", zone="UTC")
    assert quiet_hours.hold(user_id=user.pk, now=now) == end


@pytest.mark.parametrize(
    ("now", "end"),
    [
        (utc(2025, 6, 10, 22, 0), utc(2025, 6, 11, 7, 0)),  # evening: the end is tomorrow morning
        (utc(2025, 6, 10, 23, 59, 59), utc(2025, 6, 11, 7, 0)),
        (utc(2025, 6, 11, 0, 0), utc(2025, 6, 11, 7, 0)),  # after midnight: this morning
        (utc(2025, 6, 11, 6, 59), utc(2025, 6, 11, 7, 0)),
        (utc(2025, 6, 11, 7, 0), None),
        (utc(2025, 6, 10, 21, 59), None),
        (utc(2025, 6, 10, 12, 0), None),
    ],
)
def test_hours_wrapping_midnight(user, now, end):
    set_quiet_hours(user, "22:00", "07:00", zone="UTC")
    assert quiet_hours.hold(user_id=user.pk, now=now) == end


# 23:30 local on 10 June 2025 and 07:00 local the next morning, in UTC, by each zone's offset.
ZONES = [
    ("Pacific/Honolulu", utc(2025, 6, 11, 9, 30), utc(2025, 6, 11, 17, 0)),  # UTC-10
    ("America/Sao_Paulo", utc(2025, 6, 11, 2, 30), utc(2025, 6, 11, 10, 0)),  # UTC-3
    ("UTC", utc(2025, 6, 10, 23, 30), utc(2025, 6, 11, 7, 0)),
    ("Asia/Kolkata", utc(2025, 6, 10, 18, 0), utc(2025, 6, 11, 1, 30)),  # UTC+5:30
    ("Asia/Kathmandu", utc(2025, 6, 10, 17, 45), utc(2025, 6, 11, 1, 15)),  # UTC+5:45
    ("Australia/Adelaide", utc(2025, 6, 10, 14, 0), utc(2025, 6, 10, 21, 30)),  # UTC+9:30 (winter)
    ("Pacific/Tongatapu", utc(2025, 6, 10, 10, 30), utc(2025, 6, 10, 18, 0)),  # UTC+13
]


@pytest.mark.parametrize(("zone", "late_evening", "morning"), ZONES)
def test_quiet_hours_are_kept_in_the_person_s_own_time_zone(user, zone, late_evening, morning):
    set_quiet_hours(user, "22:00", "07:00", zone=zone)

    end = quiet_hours.hold(user_id=user.pk, now=late_evening)
    assert end == morning
    assert late_evening.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == "2025-06-10 23:30"
    assert end.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == "2025-06-11 07:00"
    assert quiet_hours.hold(user_id=user.pk, now=morning - timedelta(minutes=1)) == morning
    assert quiet_hours.hold(user_id=user.pk, now=morning) is None
    assert quiet_hours.hold(user_id=user.pk, now=late_evening - timedelta(hours=2)) is None  # 21:30


def test_one_moment_is_night_for_one_person_and_morning_for_another(user, other_user):
    set_quiet_hours(user, "22:00", "07:00", zone="Asia/Kolkata")
    set_quiet_hours(other_user, "22:00", "07:00", zone="Pacific/Honolulu")
    moment = utc(2025, 6, 10, 18, 0)  # 23:30 in Kolkata, 08:00 in Honolulu
    assert quiet_hours.hold(user_id=user.pk, now=moment) == utc(2025, 6, 11, 1, 30)
    assert quiet_hours.hold(user_id=other_user.pk, now=moment) is None


def test_the_night_the_clocks_go_forward_ends_at_seven_summer_time(user):
    """Berlin, 30 March 2025: 02:00 CET becomes 03:00 CEST; the night is an hour shorter."""
    set_quiet_hours(user, "22:00", "07:00", zone="Europe/Berlin")
    end = quiet_hours.hold(user_id=user.pk, now=utc(2025, 3, 29, 21, 30))  # 22:30 CET
    assert end == utc(2025, 3, 30, 5, 0)  # 07:00 CEST, not 06:00 UTC (07:00 CET)
    assert end.astimezone(ZoneInfo("Europe/Berlin")).isoformat() == "2025-03-30T07:00:00+02:00"
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 3, 30, 4, 59)) == end  # 06:59 CEST
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 3, 30, 5, 0)) is None


def test_the_night_the_clocks_go_back_ends_at_seven_winter_time(user):
    """Berlin, 26 October 2025: 03:00 CEST becomes 02:00 CET; the night is an hour longer."""
    set_quiet_hours(user, "22:00", "07:00", zone="Europe/Berlin")
    end = quiet_hours.hold(user_id=user.pk, now=utc(2025, 10, 25, 20, 30))  # 22:30 CEST
    assert end == utc(2025, 10, 26, 6, 0)  # 07:00 CET
    assert end.astimezone(ZoneInfo("Europe/Berlin")).isoformat() == "2025-10-26T07:00:00+01:00"
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 10, 26, 5, 59)) == end


def test_an_end_in_the_hour_that_happens_twice_is_its_next_occurrence(user):
    set_quiet_hours(user, "01:00", "02:30", zone="Europe/Berlin")
    # 02:10 CEST (the first pass): the end is 02:30 CEST.
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 10, 26, 0, 10)) == utc(2025, 10, 26, 0, 30)
    # 02:10 CET (the second pass): 02:30 CEST has gone; the end is 02:30 CET.
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 10, 26, 1, 10)) == utc(2025, 10, 26, 1, 30)


def test_an_end_in_the_hour_that_never_happens_is_read_before_the_change(user):
    set_quiet_hours(user, "01:00", "02:30", zone="Europe/Berlin")
    # 01:30 CET; 02:30 does not happen that night; read as CET it is 03:30 CEST.
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 3, 30, 0, 30)) == utc(2025, 3, 30, 1, 30)


def test_hold_asks_the_database_once(user, django_assert_num_queries):
    set_quiet_hours(user, "22:00", "07:00", zone="Asia/Kathmandu")
    with django_assert_num_queries(1):
        assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 6, 10, 17, 45)) is not None


def test_the_service_refuses_half_set_or_empty_quiet_hours(user):
    with pytest.raises(ValidationError, match="both the start and the end"):
        quiet_hours.quiet_hours_update(user=user, start=time(22), end=None)
    with pytest.raises(ValidationError, match="differ"):
        quiet_hours.quiet_hours_update(user=user, start=time(22), end=time(22))
    assert not DeliverySettings.objects.filter(user=user).exists()


# --- The end of quiet hours ----------------------------------------------------------------------


def subscribe(user, service: PushService, agent: str) -> PushSubscription:
    browser = service.subscription()
    subscription, _ = push.push_subscription_save(
        user=user, endpoint=browser["endpoint"], user_agent=agent, **browser["keys"]
    )
    return subscription


# The night in Berlin: held from 23:00 CEST, released at 07:00 CEST on 11 June 2025.
NIGHT = utc(2025, 6, 10, 21, 0)
MORNING = utc(2025, 6, 11, 5, 0)


@pytest.fixture
def night(user, monkeypatch):
    set_quiet_hours(user, "22:00", "07:00", zone="Europe/Berlin")
    return freeze_now(monkeypatch, NIGHT)


def held(user, title: str, *, devices=(), email: bool = False, message: str = "You spent 85.00.") -> Notification:
    """A notification stored during quiet hours with its push rows (and an immediate email) held
    as the outbox writes them: batch "quiet", due at the end hold() names."""
    notification = Notification.objects.create(
        user=user, type=Notification.Type.LARGE_EXPENSE, title=title, message=message, level=Notification.Level.ALERT
    )
    end = quiet_hours.hold(user_id=user.pk, now=NIGHT)
    assert end == MORNING
    rows = [
        Delivery(
            key=outbox.new_key(),
            notification=notification,
            user=user,
            channel=Channel.PUSH,
            push_subscription=device,
            batch=quiet_hours.QUIET,
            next_attempt_at=end,
        )
        for device in devices
    ]
    if email:
        rows.append(
            Delivery(
                key=outbox.new_key(),
                notification=notification,
                user=user,
                channel=Channel.EMAIL,
                batch=quiet_hours.QUIET,
                next_attempt_at=end,
            )
        )
    Delivery.objects.bulk_create(rows)
    return notification


def release(commits, *, now=MORNING, **extra) -> int:
    with commits(execute=True):
        return quiet_hours.release_due(now=now, **extra)


def test_at_the_end_each_device_gets_one_summary_of_what_was_held(
    user, push_service, night, django_capture_on_commit_callbacks
):
    phone = subscribe(user, push_service, "Firefox on a phone")
    laptop = subscribe(user, push_service, "Chrome on a laptop")
    titles = ["Coffee: 85.00", "Groceries: 120.00", "Rent: 900.00"]
    notifications = [held(user, title, devices=[phone, laptop]) for title in titles]

    assert release(django_capture_on_commit_callbacks, now=MORNING - timedelta(seconds=1)) == 0
    assert push_service.requests == []

    night.move_to(MORNING)
    assert release(django_capture_on_commit_callbacks) == 6

    messages = push_service.wait_for(2)
    assert sorted(message.endpoint for message in messages) == sorted([phone.endpoint, laptop.endpoint])
    for message in messages:
        assert message.payload["title"] == "3 notifications while you were in quiet hours"
        assert message.payload["message"] == "Coffee: 85.00, Groceries: 120.00, Rent: 900.00"
        assert message.payload["notification_id"] == notifications[-1].pk
        assert message.payload["type"] == "quiet_hours_summary"
        assert message.payload["url"] == "/notifications/"
        assert message.topic == message.payload["tag"] == quiet_hours.summary_tag(user.pk)
        assert message.urgency == "high"  # the latest held was an alert
    summaries = Delivery.objects.filter(key__in=[message.payload["id"] for message in messages])
    assert {(row.state, row.batch, row.push_subscription_id) for row in summaries} == {
        ("sent", "", phone.pk),
        ("sent", "", laptop.pk),
    }
    for summary in summaries:
        folded = Delivery.objects.filter(last_error=quiet_hours.folded_note(summary.key))
        assert folded.count() == 3
        assert {(row.state, row.sent_at, row.push_subscription_id) for row in folded} == {
            ("sent", None, summary.push_subscription_id)
        }
    assert push_service.rejected == []


def test_notify_in_quiet_hours_stores_and_rings_the_socket_but_holds_push_and_email(
    user, push_service, night, django_capture_on_commit_callbacks
):
    """Through notify() itself: the in-app row is stored and its socket frame goes out at once;
    the push and the immediate email wait, held until the end of the night, and are then sent."""
    from allauth.account.models import EmailAddress

    from budgetpay.testing.communicator import with_a_socket_of
    from notifications import services

    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    phone = subscribe(user, push_service, "Firefox on a phone")

    def alert() -> Notification:
        with django_capture_on_commit_callbacks(execute=True):
            return services.notify(
                user=user, type=Notification.Type.BUDGET_EXCEEDED, title="Food is over", message="By 5.00."
            )

    ((notification, frames),) = with_a_socket_of(user, alert)
    assert [frame["notification"]["id"] for frame in frames] == [notification.pk]  # the socket is never held
    rows = Delivery.objects.filter(notification=notification)
    assert {(row.channel, row.batch, row.next_attempt_at) for row in rows} == {
        (Channel.PUSH, quiet_hours.QUIET, MORNING),
        (Channel.EMAIL, quiet_hours.QUIET, MORNING),
    }
    assert outbox.deliveries_sweep() == 0 and push_service.requests == []

    night.move_to(MORNING)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.deliveries_sweep()
    (message,) = push_service.wait_for(1)
    assert message.endpoint == phone.endpoint and message.payload["notification_id"] == notification.pk
    assert rows.get(channel=Channel.EMAIL).batch == "daily"  # folded into the morning's digest


def test_releasing_twice_sends_once(user, push_service, night, django_capture_on_commit_callbacks):
    phone = subscribe(user, push_service, "Firefox on a phone")
    held(user, "Coffee", devices=[phone])
    held(user, "Rent", devices=[phone])
    night.move_to(MORNING)

    assert release(django_capture_on_commit_callbacks) == 2
    assert release(django_capture_on_commit_callbacks, now=MORNING + timedelta(hours=1)) == 0
    assert outbox.deliveries_sweep() == 0

    assert len(push_service.wait_for(1)) == 1
    assert len(push_service.requests) == 1
    assert Delivery.objects.filter(user=user, channel=Channel.PUSH).count() == 3  # two folded, one summary


def test_a_single_held_push_goes_as_itself(user, push_service, night, django_capture_on_commit_callbacks):
    phone = subscribe(user, push_service, "Firefox on a phone")
    notification = held(user, "Coffee: 85.00", devices=[phone])
    delivery = Delivery.objects.get(notification=notification)
    night.move_to(MORNING)

    assert release(django_capture_on_commit_callbacks) == 1

    (message,) = push_service.wait_for(1)
    assert (message.payload["id"], message.payload["title"]) == (delivery.key, "Coffee: 85.00")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.batch) == ("sent", "")


def test_a_summary_hides_amounts_when_the_person_asked(user, push_service, night, django_capture_on_commit_callbacks):
    DeliverySettings.objects.filter(user=user).update(push_hides_amounts=True)
    phone = subscribe(user, push_service, "Firefox on a phone")
    held(user, "Coffee: 85.00", devices=[phone])
    held(user, "Rent: 900.00", devices=[phone], message="900.00 to the landlord.")
    night.move_to(MORNING)
    release(django_capture_on_commit_callbacks)

    (message,) = push_service.wait_for(1)
    assert message.payload["title"] == "2 notifications while you were in quiet hours"
    assert message.payload["message"] == "Large expense"
    text = message.plaintext.decode()
    assert "85.00" not in text and "900.00" not in text and "Coffee" not in text


def test_a_long_night_names_the_first_few_and_counts_the_rest(
    user, push_service, night, django_capture_on_commit_callbacks
):
    phone = subscribe(user, push_service, "Firefox on a phone")
    for number in range(8):
        held(user, f"Expense {number}", devices=[phone])
    night.move_to(MORNING)
    release(django_capture_on_commit_callbacks)

    (message,) = push_service.wait_for(1)
    assert message.payload["title"] == "8 notifications while you were in quiet hours"
    assert message.payload["message"] == "Expense 0, Expense 1, Expense 2, Expense 3, Expense 4 and 3 more"


def test_a_summary_that_fails_is_tried_again_as_the_same_summary(
    user, push_service, night, django_capture_on_commit_callbacks
):
    phone = subscribe(user, push_service, "Firefox on a phone")
    held(user, "Coffee", devices=[phone])
    held(user, "Rent", devices=[phone])
    night.move_to(MORNING)
    push_service.fail_next(1, status=500)
    release(django_capture_on_commit_callbacks)

    summary = Delivery.objects.get(key__startswith=quiet_hours.SUMMARY_KEY_PREFIX)
    assert (summary.state, summary.last_status_code) == ("failed", 500)
    night.move_to(summary.next_attempt_at)
    assert outbox.delivery_send(summary.pk) == "sent"

    (message,) = push_service.wait_for(1)
    assert (message.payload["id"], message.payload["message"]) == (summary.key, "Coffee, Rent")


def test_held_immediate_emails_join_the_daily_digest(user, push_service, night, django_capture_on_commit_callbacks):
    phone = subscribe(user, push_service, "Firefox on a phone")
    first = held(user, "Coffee", devices=[phone], email=True)
    second = held(user, "Rent", devices=[phone], email=True)
    night.move_to(MORNING)

    assert release(django_capture_on_commit_callbacks) == 4

    emails = Delivery.objects.filter(channel=Channel.EMAIL).order_by("notification_id")
    assert [(row.notification_id, row.state, row.batch) for row in emails] == [
        (first.pk, "pending", "daily"),
        (second.pk, "pending", "daily"),
    ]
    assert len(push_service.wait_for(1)) == 1  # the pushes' summary
    assert release(django_capture_on_commit_callbacks, now=MORNING + timedelta(hours=1)) == 0


def test_held_pushes_for_a_device_removed_meanwhile_are_given_up(
    user, push_service, night, django_capture_on_commit_callbacks
):
    phone = subscribe(user, push_service, "Firefox on a phone")
    held(user, "Coffee", devices=[phone])
    held(user, "Rent", devices=[phone])
    push.subscription_gone(subscription_id=phone.pk)
    night.move_to(MORNING)

    assert release(django_capture_on_commit_callbacks) == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {"given_up"}
    assert push_service.requests == []


def test_only_what_is_due_is_released_a_person_at_a_time(
    user, other_user, push_service, night, django_capture_on_commit_callbacks
):
    phone = subscribe(user, push_service, "Firefox on a phone")
    other_phone = subscribe(other_user, push_service, "Safari on a phone")
    set_quiet_hours(other_user, "22:00", "07:00", zone="Europe/Berlin")
    held(user, "Coffee", devices=[phone])
    held(user, "Rent", devices=[phone])
    for title in ("Other coffee", "Other rent"):
        held(other_user, title, devices=[other_phone])
    # A third person's night is not over at 07:00 in Berlin: held at 23:00 in Honolulu (09:00
    # UTC) until 07:00 there (17:00 UTC).
    late = make_user("late@example.com")
    set_quiet_hours(late, "22:00", "07:00", zone="Pacific/Honolulu")
    late_phone = subscribe(late, push_service, "Edge on a laptop")
    assert quiet_hours.hold(user_id=late.pk, now=utc(2025, 6, 11, 9, 0)) == utc(2025, 6, 11, 17, 0)
    Delivery.objects.create(
        key=outbox.new_key(),
        notification=Notification.objects.create(user=late, type="large_expense", title="Late", message="."),
        user=late,
        channel=Channel.PUSH,
        push_subscription=late_phone,
        batch=quiet_hours.QUIET,
        next_attempt_at=utc(2025, 6, 11, 17, 0),
    )
    night.move_to(MORNING)

    # One person a call: the second person's night waits for the next call, whole.
    assert release(django_capture_on_commit_callbacks, limit=1) == 2
    assert [message.endpoint for message in push_service.wait_for(1)] == [phone.endpoint]
    assert release(django_capture_on_commit_callbacks, limit=1) == 2
    assert [message.endpoint for message in push_service.wait_for(2)][1] == other_phone.endpoint
    assert release(django_capture_on_commit_callbacks, limit=1) == 0
    assert Delivery.objects.get(user=late).state == "pending"
    assert release(django_capture_on_commit_callbacks, now=utc(2025, 6, 11, 17, 0)) == 1


def test_turning_quiet_hours_off_lets_what_they_held_go_at_the_next_sweep(
    user, push_service, night, django_capture_on_commit_callbacks
):
    phone = subscribe(user, push_service, "Firefox on a phone")
    held(user, "Coffee", devices=[phone])
    held(user, "Rent", devices=[phone])
    night.move_to(NIGHT + timedelta(minutes=5))

    quiet_hours.quiet_hours_update(user=user, start=None, end=None)

    assert release(django_capture_on_commit_callbacks, now=NIGHT + timedelta(minutes=5)) == 2
    assert push_service.wait_for(1)[0].payload["message"] == "Coffee, Rent"


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES, reason="SKIP LOCKED: PostgreSQL (CI runs it there)"
)
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_release_each_held_row_once(monkeypatch):
    assert connection.vendor == "postgresql"
    rung: list[int] = []
    lock = threading.Lock()

    def enqueue(task, items):
        with lock:
            rung.extend(delivery_id for delivery_id, _ in items)

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    devices = []
    for number in range(6):
        person = make_user(f"night{number}@example.com")
        set_quiet_hours(person, "22:00", "07:00", zone="Europe/Berlin")
        devices += [
            PushSubscription.objects.create(
                user=person, endpoint=f"https://push.example/{number}/{index}", p256dh="k", auth="a"
            )
            for index in range(2)
        ]
    for device in devices:
        for title in ("Coffee", "Rent", "Bus"):
            held(device.user, title, devices=[device], email=True)
    released = at_once(lambda: quiet_hours.release_due(now=MORNING, limit=1000))

    assert sum(released) == 12 * 3 * 2  # every held push and email, once
    summaries = Delivery.objects.filter(key__startswith=quiet_hours.SUMMARY_KEY_PREFIX)
    assert sorted(summaries.values_list("push_subscription_id", flat=True)) == sorted(d.pk for d in devices)
    assert sorted(rung) == sorted(summaries.values_list("id", flat=True))
    assert not Delivery.objects.filter(batch=quiet_hours.QUIET, state=Delivery.State.PENDING).exists()


# --- The API -------------------------------------------------------------------------------------


@pytest.fixture
def person(user) -> APIClient:
    person = APIClient()
    person.force_authenticate(user)
    return person


def test_quiet_hours_start_off(person):
    answer = person.get(URL)
    assert answer.status_code == 200
    assert answer.json() == {"start": None, "end": None, "timezone": "UTC", "quiet_until": None}


def test_a_person_sets_changes_and_turns_off_their_quiet_hours(user, other_user, person, monkeypatch):
    set_quiet_hours(other_user, "21:00", "06:00")
    DeliverySettings.objects.create(user=user, push_hides_amounts=True)
    user.timezone = "Asia/Kathmandu"
    user.save(update_fields=["timezone"])
    freeze_now(monkeypatch, utc(2025, 6, 10, 17, 45))  # 23:30 in Kathmandu

    answer = person.patch(URL, {"start": "22:00", "end": "07:00"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {
        "start": "22:00",
        "end": "07:00",
        "timezone": "Asia/Kathmandu",
        "quiet_until": "2025-06-11T01:15:00Z",  # 07:00 in Kathmandu
    }
    assert quiet_hours.hold(user_id=user.pk, now=utc(2025, 6, 10, 17, 45)) == utc(2025, 6, 11, 1, 15)

    answer = person.patch(URL, {"end": "06:30"}, format="json")  # a field left out keeps its value
    assert (answer.status_code, answer.json()["start"], answer.json()["end"]) == (200, "22:00", "06:30")

    answer = person.patch(URL, {"start": None, "end": None}, format="json")
    assert answer.status_code == 200
    assert (answer.json()["start"], answer.json()["quiet_until"]) == (None, None)
    assert person.get(URL).json()["end"] is None

    assert DeliverySettings.objects.get(user=user).push_hides_amounts is True
    assert quiet_hours.quiet_hours_of(user=other_user) == (time(21), time(6))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"start": "22:00"}, quiet_hours.BOTH_OR_NEITHER),
        ({"start": "22:00", "end": None}, quiet_hours.BOTH_OR_NEITHER),
        ({"start": None, "end": "07:00"}, quiet_hours.BOTH_OR_NEITHER),
        ({}, quiet_hours.BOTH_OR_NEITHER),
        ({"start": "22:00", "end": "22:00"}, quiet_hours.SAME_START_AND_END),
        ({"start": "24:00", "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": "22:60", "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": "22:00", "end": "7:00"}, "end: Use a 24-hour time as HH:MM"),
        ({"start": "22:00", "end": "07:00:00"}, "end: Use a 24-hour time as HH:MM"),
        ({"start": "2200", "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": "22.00", "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": " 2:00", "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": "٢٢:٠٠", "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),  # Arabic-Indic digits
        ({"start": 2200, "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": True, "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": ["22:00"], "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": {"hour": 22}, "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
        ({"start": "9" * 100_000, "end": "07:00"}, "start: Use a 24-hour time as HH:MM"),
    ],
)
def test_bad_quiet_hours_are_a_400_that_says_what_to_send(user, other_user, person, body, message):
    set_quiet_hours(other_user, "21:00", "06:00")
    answer = person.patch(URL, body, format="json")
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message)
    assert quiet_hours.quiet_hours_of(user=user) == (None, None)
    assert quiet_hours.quiet_hours_of(user=other_user) == (time(21), time(6))


@pytest.mark.parametrize("body", ['["22:00", "07:00"]', '"22:00"', "null", "{", ""])
def test_a_body_that_is_not_an_object_is_a_400(person, body):
    answer = person.generic("PATCH", URL, body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["message"]


def test_quiet_hours_are_only_for_the_signed_in(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.patch(URL, {"start": "22:00", "end": "07:00"}, format="json").status_code == 401
    assert not DeliverySettings.objects.exists()
