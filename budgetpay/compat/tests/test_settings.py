"""COMPAT_* come from the environment: off by default, our token lifetime by default, and an
out-of-range lifetime stops the start with a one-line message."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.COMPAT_ORIGINAL_API, s.COMPAT_ACCESS_TOKEN_MINUTES)"
)


def start(**env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("COMPAT_", "JWT_"))}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "budgetpay.settings", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_off_by_default_with_our_access_token_lifetime():
    assert start().stdout.split() == ["False", "15"]
    assert start(JWT_ACCESS_MINUTES="5").stdout.split() == ["False", "5"]


def test_an_operator_turns_it_on_and_may_choose_longer_sessions_for_it():
    assert start(COMPAT_ORIGINAL_API="true", COMPAT_ACCESS_TOKEN_MINUTES="10080").stdout.split() == ["True", "10080"]


@pytest.mark.parametrize("minutes", ["0", "43201"])
def test_a_lifetime_out_of_range_stops_the_start(minutes):
    result = start(COMPAT_ACCESS_TOKEN_MINUTES=minutes)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"budgetpay: COMPAT_ACCESS_TOKEN_MINUTES must be between 1 and 43200, not {minutes}"
    ]
