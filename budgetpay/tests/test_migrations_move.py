"""Moving IdempotencyKey (from users) and the AI gateway's records (from chatbot) into the
platform app changed Django's picture of the models only: a database migrated before the
move keeps every row, and the staff permissions on them follow the content types."""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection

from budgetpay.testing.migrations import latest, migrate_to

BEFORE_MOVE = [("users", "0004_locale_and_confirmed_settings"), ("chatbot", "0003_ai_daily_usage")]
MOVE = [("budgetpay", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_there_after_it():
    from django.db.migrations.recorder import MigrationRecorder

    leaves = latest()
    try:
        old = migrate_to(BEFORE_MOVE)
        person = old.get_model("users", "User").objects.create(email="moved@example.com", password=make_password("x"))
        old.get_model("users", "IdempotencyKey").objects.create(
            user_id=person.pk, key="k-1", fingerprint="f" * 64, status_code=201, response_body={"id": 7}
        )
        old.get_model("chatbot", "AIRequest").objects.create(
            user_id=person.pk, purpose="chat", model="m", prompt_tokens=12
        )
        old.get_model("chatbot", "AIDailyUsage").objects.create(user_id=person.pk, day="2026-12-01", used=3)
        content_types = old.get_model("contenttypes", "ContentType").objects
        content_types.get_or_create(app_label="chatbot", model="airequest")
        assert not MigrationRecorder(connection).migration_qs.filter(app="budgetpay").exists()

        migrate_to(leaves)

        from django.contrib.contenttypes.models import ContentType

        from budgetpay.models import AIDailyUsage, AIRequest, IdempotencyKey

        key = IdempotencyKey.objects.get(user_id=person.pk)
        assert (key.key, key.status_code, key.response_body) == ("k-1", 201, {"id": 7})
        assert AIRequest.objects.get(user_id=person.pk).prompt_tokens == 12
        assert AIDailyUsage.objects.get(user_id=person.pk).used == 3
        assert ContentType.objects.filter(app_label="budgetpay", model="airequest").exists()
        assert not ContentType.objects.filter(app_label="chatbot", model="airequest").exists()
    finally:
        migrate_to(leaves)
