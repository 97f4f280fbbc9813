"""The daily insight moved into the 15-minute morning schedule (notifications.tasks.morning_tick).
Beat's database scheduler keeps entries that left CELERY_BEAT_SCHEDULE, so the old hourly
entry is removed here; otherwise it would go on sending insights at any local hour."""

from django.db import migrations


def retire(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name="daily-insights", task="notifications.tasks.daily_insights_fan_out").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_email_quiet_hours_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
