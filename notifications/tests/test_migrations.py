"""Data migrations of the notifications app, run forward on a database that has the old rows."""

import pytest

from budgetpay.testing.migrations import latest, migrate_to

BEFORE = [
    ("notifications", "0003_email_quiet_hours_schedules"),
    ("django_celery_beat", "0019_alter_periodictasks_options"),
]


@pytest.mark.django_db(transaction=True)
def test_the_hourly_daily_insights_entry_left_by_beat_is_retired_and_others_stay():
    leaves = latest()
    try:
        old = migrate_to(BEFORE)
        every = old.get_model("django_celery_beat", "IntervalSchedule").objects.create(every=1, period="hours")
        tasks = old.get_model("django_celery_beat", "PeriodicTask").objects
        tasks.create(name="daily-insights", task="notifications.tasks.daily_insights_fan_out", interval=every)
        tasks.create(name="staff-made", task="notifications.tasks.daily_insights_fan_out", interval=every)

        migrate_to(leaves)

        from django_celery_beat.models import PeriodicTask

        assert set(PeriodicTask.objects.values_list("name", flat=True)) == {"staff-made"}
    finally:
        migrate_to(leaves)
