"""The Celery application for workers and beat (docs/deployment.md):

    celery -A budgetpay.celery worker
    celery -A budgetpay.celery beat

The app itself is budgetpay.jobs.app (the platform's job engine); this module only makes
sure Django's settings are found first.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "budgetpay.settings")

from budgetpay.jobs import app  # noqa: E402

__all__ = ["app"]
