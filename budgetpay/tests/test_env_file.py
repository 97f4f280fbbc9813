"""A missing .env file is the normal case (the environment or the embedded default is
enough), so starting without one says nothing about it."""

import os
import subprocess
import sys

from django.conf import settings

# What Daphne and `manage.py runserver` show: every INFO line, from the first import on.
START_WITH_INFO_LOGGING = (
    "import logging; logging.basicConfig(level=logging.INFO); import django; django.setup(); print('started')"
)


def test_starting_without_a_dot_env_file_logs_nothing_about_it():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", START_WITH_INFO_LOGGING],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "budgetpay.settings", "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
    assert "/.env" not in result.stderr
    assert "not found" not in result.stderr
