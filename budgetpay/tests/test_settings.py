"""Settings come from the environment; production refuses to start without secrets."""

import ast
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from budgetpay.testing.services import REQUIRE_SERVICES
from budgetpay.testing.startup import PRODUCTION, start_django


def test_production_refuses_to_start_without_secret_key():
    result = start_django(ALLOWED_HOSTS="budget.example.com")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "budgetpay: SECRET_KEY must be set when DEBUG is off (see .env.example)"
    ]


def test_production_refuses_to_start_without_allowed_hosts():
    result = start_django(SECRET_KEY="a-real-secret")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_starts_with_both():
    result = start_django(SECRET_KEY="a-real-secret", ALLOWED_HOSTS="budget.example.com")
    assert result.returncode == 0, result.stderr


def test_debug_starts_with_the_embedded_defaults():
    result = start_django(DEBUG="true")
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not REQUIRE_SERVICES, reason="checks the CI configuration itself")
def test_ci_runs_on_postgresql_and_redis():
    assert connection.vendor == "postgresql"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis.")


def test_check_deploy_passes_with_the_documented_production_settings():
    result = start_django(sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_postgresql_connections_are_pooled_unless_turned_off():
    show = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}).get('pool'))"
    url = "postgres://postgres@127.0.0.1:5432/budgetpay"
    pooled = start_django(sys.executable, "-c", show, DEBUG="true", DATABASE_URL=url, DB_POOL_MAX_SIZE="7")
    assert pooled.returncode == 0, pooled.stderr
    assert "'max_size': 7" in pooled.stdout and "'min_size': 2" in pooled.stdout and "'timeout': 5.0" in pooled.stdout
    unpooled = start_django(sys.executable, "-c", show, DEBUG="true", DATABASE_URL=url, DB_POOL="false")
    assert unpooled.stdout.strip() == "None", unpooled.stderr
    sqlite = start_django(sys.executable, "-c", show, DEBUG="true", DATABASE_URL="")
    assert sqlite.stdout.strip() == "None", sqlite.stderr


def test_the_server_process_keeps_start_up_objects_out_of_the_collector():
    probe = "import gc, budgetpay.asgi; print(gc.get_freeze_count(), gc.get_threshold()[0])"
    result = start_django(sys.executable, "-c", probe, DEBUG="true")
    assert result.returncode == 0, result.stderr
    frozen, threshold = map(int, result.stdout.split())
    assert frozen > 50_000 and threshold == 10_000


def test_persistent_connections_and_the_pool_are_refused_together_at_start():
    url = "postgres://postgres@127.0.0.1:5432/budgetpay"
    both = start_django(DEBUG="true", DATABASE_URL=url, CONN_MAX_AGE="60")
    assert both.returncode == 1
    assert "CONN_MAX_AGE must be 0 with the connection pool" in both.stderr
    assert start_django(DEBUG="true", DATABASE_URL=url, CONN_MAX_AGE="60", DB_POOL="false").returncode == 0


def test_every_setting_read_from_the_environment_is_in_env_example():
    """.env.example is where an operator learns what can be set: each name settings.py reads
    from the environment appears there as NAME= (or commented, # NAME=)."""
    root = Path(__file__).resolve().parents[2]
    tree = ast.parse((root / "budgetpay" / "settings.py").read_text())
    read = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        func = node.func
        reads_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
        )
        if reads_env and isinstance(node.args[0].value, str):
            read.add(node.args[0].value)
    listed = set()
    for line in (root / ".env.example").read_text().splitlines():
        name, equals, _ = line.removeprefix("# ").partition("=")
        if equals and name.isupper() and " " not in name:
            listed.add(name)
    assert len(read) > 50, "the settings' reads were found"
    assert read - listed == set()
