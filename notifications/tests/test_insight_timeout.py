"""The insights a request waits for (issue 16): generate-budget-insight and generate-ai stay
synchronous, so they ask one model once, with OPENROUTER_INSIGHT_TIMEOUT_SECONDS, and answer
with the rules' insight when it does not answer in time. The daily insight, written by a job,
keeps the usual patience: every configured model, the usual timeout."""

import json

import pytest

from budgetpay.testing.insights import GENERATE, GENERATE_AI
from notifications import tasks
from notifications.models import Notification

# Every test is on the insight day (notifications/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("insight_clock")]

GOOD = json.dumps({"title": "Dining is running hot", "message": "100.00 USD on dining so far."})


@pytest.fixture
def patient_by_default(settings, fake_openrouter):
    """The usual calls wait long; the ones a request waits on, briefly."""
    settings.OPENROUTER_TIMEOUT_SECONDS = 30.0
    settings.OPENROUTER_INSIGHT_TIMEOUT_SECONDS = 0.5
    return fake_openrouter


@pytest.mark.parametrize(("path", "body"), [(GENERATE, None), (GENERATE_AI, {"type": "saving_tip"})])
def test_a_slow_model_gets_the_rules_answer_within_the_request(auth_client, calm_month, patient_by_default, path, body):
    patient_by_default.reply_slowly(3, text=GOOD)
    patient_by_default.reply_text(GOOD)  # what the second model would say: never asked

    response = auth_client.post(path, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["source"] == Notification.Source.RULE
    assert response.json()["data"] == {"source": "rules"}
    assert len(patient_by_default.replies) == 1


@pytest.mark.parametrize(("path", "body"), [(GENERATE, None), (GENERATE_AI, {"type": "saving_tip"})])
def test_a_request_tries_one_model_only(auth_client, calm_month, patient_by_default, path, body):
    patient_by_default.reply_error(500)
    patient_by_default.reply_text(GOOD)

    response = auth_client.post(path, body, format="json")

    assert response.json()["source"] == Notification.Source.RULE
    assert len(patient_by_default.calls) == 1


def test_the_daily_insight_job_tries_every_model(user, calm_month, patient_by_default):
    patient_by_default.reply_error(500)
    patient_by_default.reply_text(GOOD)

    assert tasks.daily_insights_chunk([user.pk]) == (1, 0)

    daily = Notification.objects.get(dedupe_key__startswith="daily-insight:")
    assert (daily.source, daily.title) == (Notification.Source.AI, "Dining is running hot")
    assert [call["model"] for call in patient_by_default.calls] == [
        "openai/gpt-4o-mini",
        "meta-llama/llama-3.1-8b-instruct",
    ]
