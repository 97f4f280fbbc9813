"""Fixtures for the chatbot tests: room in the AI rate, and a small ledger with known totals."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from budgetpay.testing.chat import Ledger, make_chat_ledger


@pytest.fixture(autouse=True)
def roomy_ai_rate(monkeypatch) -> None:
    """The tests chat more than the per-minute AI rate allows; test_chat_api checks the rate itself."""
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "ai", "1000/min")


@pytest.fixture
def ledger(user, other_user) -> Ledger:
    return make_chat_ledger(user, other_user)
