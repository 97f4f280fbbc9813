"""Budget Pay's settings with psycopg's connection pool (Django 5.1+), for the benchmark's
A/B of database connection handling: `DJANGO_SETTINGS_MODULE=bench.settings_pooled`."""

from budgetpay.settings import *  # noqa: F403
from budgetpay.settings import DATABASES, env

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=20),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
