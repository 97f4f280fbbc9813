"""Data migrations of the notifications app, run forward on a database that has the old rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("notifications", "0003_email_quiet_hours_schedules"),
    ("django_celery_beat", "0019_alter_periodictasks_options"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_hourly_daily_insights_entry_left_by_beat_is_retired_and_others_stay():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        every = old.get_model("django_celery_beat", "IntervalSchedule").objects.create(every=1, period="hours")
        tasks = old.get_model("django_celery_beat", "PeriodicTask").objects
        tasks.create(name="daily-insights", task="notifications.tasks.daily_insights_fan_out", interval=every)
        tasks.create(name="staff-made", task="notifications.tasks.daily_insights_fan_out", interval=every)

        _migrate(leaves)

        from django_celery_beat.models import PeriodicTask

        assert set(PeriodicTask.objects.values_list("name", flat=True)) == {"staff-made"}
    finally:
        _migrate(leaves)
