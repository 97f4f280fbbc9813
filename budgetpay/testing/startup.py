"""Django started in a process of its own, from an environment the test writes, for what the
settings do at start: read the environment, and refuse to start in production without secrets."""

import os
import subprocess
import sys

from budgetpay.testing.servers import ROOT

# A production environment the deploy checks accept.
PRODUCTION = {
    "SECRET_KEY": "x7Gq2_production-grade-secret-key-with-enough-entropy-9Lk3vPz0",
    "ALLOWED_HOSTS": "budget.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://budget.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_COOKIES": "true",
}


def start_django(*command: str, **env: str) -> subprocess.CompletedProcess:
    """Run `command` (default: django.setup() alone) with this process's environment less the
    secrets, DEBUG and PRODUCTION's variables, plus `env`."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", *PRODUCTION}
    }
    return subprocess.run(
        list(command) or [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "budgetpay.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
