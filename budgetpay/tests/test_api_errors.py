"""The API's one error mapping (budgetpay.api.exception_handler) for what services and the
AI limiter raise: Django's ValidationError by field, and a spent AI day as a 429."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from budgetpay.ai_limit import DailyLimitReached
from budgetpay.api import exception_handler


def test_a_validation_error_answers_400_by_field():
    response = exception_handler(ValidationError({"name": ["Too long."], "amount": ["Above zero."]}), {})
    assert response.status_code == 400
    assert response.data == {
        "message": "name: Too long.",
        "code": "invalid",
        "errors": {"name": ["Too long."], "amount": ["Above zero."]},
    }


def test_a_model_wide_error_answers_under_non_field_errors():
    """A model's clean() or a constraint over several fields names no field (Django's
    __all__); the API calls that non_field_errors, as DRF does, and does not prefix it."""
    response = exception_handler(ValidationError({NON_FIELD_ERRORS: ["These two disagree."]}), {})
    assert response.status_code == 400
    assert response.data["errors"] == {"non_field_errors": ["These two disagree."]}
    assert response.data["message"] == "These two disagree."


def test_a_spent_ai_day_answers_429_with_retry_after(settings):
    settings.AI_DAILY_LIMIT = 3
    response = exception_handler(DailyLimitReached(retry_after=3600), {})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert response.data == {
        "message": "The daily limit of 3 AI requests is reached; try again tomorrow.",
        "code": "daily_limit_reached",
    }
