"""The daily insight as a fan-out (issue 16; `send_daily_insights --enqueue` runs it, the schedule
now sends it in each person's morning run, test_schedule.py): it picks the people with no insight
yet for their own today and hands them to chunk jobs; each chunk writes each person's insight
(rules when AI is off). Keyed on the person's date: running it again sends nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from budgetpay.testing.insights import TODAY
from notifications import tasks
from notifications.models import Channel, Notification, PushSubscription, Webhook
from notifications.services import preference_matrix_update
from users.models import User

# Every test is on the insight day (notifications/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("insight_clock")]


def make_people(count: int, *, first: int = 0) -> list[User]:
    # No password: hashing one per person is what a fixture of 450 people would spend its time on.
    return [
        User.objects.create_user(email=f"person{i}@example.com", password=None) for i in range(first, first + count)
    ]


def daily():
    return Notification.objects.filter(dedupe_key__startswith="daily-insight:")


def test_450_people_are_written_in_chunks_of_200_and_running_again_sends_nothing(settings, ai_off, enqueued):
    settings.JOBS_INLINE = True
    people = make_people(450)

    assert tasks.daily_insights_fan_out() == [200, 200, 50]

    chunks = [args[0] for name, args in enqueued if name == "notifications.tasks.daily_insights_chunk"]
    assert [len(chunk) for chunk in chunks] == [200, 200, 50]
    assert sorted(pk for chunk in chunks for pk in chunk) == sorted(person.pk for person in people)
    assert daily().count() == 450
    assert set(daily().values_list("dedupe_key", flat=True)) == {f"daily-insight:{TODAY.isoformat()}"}
    assert set(daily().values_list("source", flat=True)) == {Notification.Source.RULE}
    assert daily().values("user").distinct().count() == 450

    enqueued.clear()
    assert tasks.daily_insights_fan_out() == []
    assert enqueued == []
    assert daily().count() == 450


def test_a_chunk_run_twice_sends_once(ai_off):
    people = make_people(3)
    ids = [person.pk for person in people]
    assert tasks.daily_insights_chunk(ids) == (3, 0)
    assert tasks.daily_insights_chunk(ids) == (0, 3)
    assert daily().count() == 3


def test_the_day_is_the_persons_own(settings, ai_off):
    settings.JOBS_INLINE = True
    # 15:00 UTC on the insight day is 05:00 the next day in Kiritimati (UTC+14).
    User.objects.create_user(email="kiritimati@example.com", password=None, timezone="Pacific/Kiritimati")
    User.objects.create_user(email="london@example.com", password=None, timezone="Europe/London")
    tasks.daily_insights_fan_out()
    assert dict(daily().values_list("user__email", "dedupe_key")) == {
        "kiritimati@example.com": "daily-insight:2026-11-11",
        "london@example.com": f"daily-insight:{TODAY.isoformat()}",
    }


def test_inactive_people_are_not_due(settings, ai_off):
    settings.JOBS_INLINE = True
    User.objects.create_user(email="gone@example.com", password=None, is_active=False)
    assert tasks.daily_insights_fan_out() == []
    assert not daily().exists()


def test_only_a_type_no_channel_takes_is_skipped_and_costs_no_model_call(settings, fake_openrouter):
    """People with no transactions are due an activity reminder. Off in the app, it is still
    written for someone whose device or webhook takes it (stored as read), and skipped, with
    no model call, for someone nothing would reach."""
    settings.JOBS_INLINE = True
    in_app, device, hooked, unreachable, muted_everywhere = make_people(5)
    reminder = Notification.Type.ACTIVITY_REMINDER
    off_in_app = {reminder: {Channel.IN_APP: False, Channel.PUSH: True}}
    for person in (device, hooked, unreachable):
        preference_matrix_update(user=person, changes=off_in_app)
    preference_matrix_update(
        user=muted_everywhere,
        changes={reminder: {Channel.IN_APP: False, Channel.PUSH: False, Channel.WEBHOOK: False}},
    )
    PushSubscription.objects.create(
        user=device, endpoint="https://push.example.com/send/abc", p256dh="key", auth="secret"
    )
    Webhook.objects.create(user=hooked, url="https://hooks.example.com/in", secret="whsec_x")
    Webhook.objects.create(user=muted_everywhere, url="https://hooks.example.com/in", secret="whsec_x")

    tasks.daily_insights_fan_out()

    written = dict(daily().values_list("user_id", "is_read"))
    assert written == {in_app.pk: False, device.pk: True, hooked.pk: True}
    assert len(fake_openrouter.calls) == 3


def test_the_command_writes_here_or_hands_over_to_the_job_engine(settings, ai_off):
    make_people(3)
    out = StringIO()
    call_command("send_daily_insights", stdout=out)
    assert "3 sent, 0 skipped" in out.getvalue()
    assert daily().count() == 3

    make_people(1, first=3)  # nobody's insight but this one's is due
    settings.JOBS_INLINE = True
    out = StringIO()
    call_command("send_daily_insights", "--enqueue", stdout=out)
    assert "1 people due, in 1 job(s) (job engine: inline)" in out.getvalue()
    assert daily().count() == 4
