"""Fixtures for the notification tests: the day the insight tests are on (the clock stopped at
budgetpay.testing.insights.NOW), and the calm month of spending they ask about."""

from io import StringIO

import pytest
from django.core.management import call_command

from budgetpay import jobs
from budgetpay.testing.clock import Clock, freeze_now
from budgetpay.testing.insights import NOW, make_calm_month
from budgetpay.testing.push_service import PushService
from budgetpay.testing.smtp_server import SMTPServer
from budgetpay.testing.webhook_receiver import WebhookReceiver
from notifications import email
from transactions.models import Account, Category


@pytest.fixture
def insight_clock(monkeypatch) -> Clock:
    """The clock stopped at NOW, the day the calm month's figures are for; a test may move it."""
    return freeze_now(monkeypatch, NOW)


@pytest.fixture
def calm_month(user, insight_clock) -> tuple[Account, Category]:
    """A calm month (a budget_insight): salary in, 100.00 on dining today and two days ago."""
    return make_calm_month(user)


@pytest.fixture
def local_receivers_allowed(settings) -> None:
    """The stand-in receivers listen on 127.0.0.1, refused unless allowed; deliveries are
    sent at commit."""
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.JOBS_INLINE = True


@pytest.fixture
def receiver(local_receivers_allowed):
    """A local webhook receiver that verifies each signature (set its secret)."""
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def smtp(settings):
    """A local mail server (aiosmtpd) that Django's SMTP backend sends to; jobs run inline."""
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.JOBS_INLINE = True  # a rung delivery is sent in the test's own thread
        yield server
        email.close_kept_connection()  # this thread's, to a server that is stopping


@pytest.fixture
def vapid(settings) -> dict[str, str]:
    """The key pair `manage.py vapid_keys` prints, in the settings; jobs run when rung; the
    local push service reachable."""
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    keys = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    settings.VAPID_PUBLIC_KEY = keys["VAPID_PUBLIC_KEY"]
    settings.VAPID_PRIVATE_KEY = keys["VAPID_PRIVATE_KEY"]
    settings.VAPID_SUBJECT = "mailto:ops@budgetpay.example"
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.JOBS_INLINE = True
    return keys


@pytest.fixture
def push_service(vapid):
    """The local push service (it checks VAPID and decrypts each push), with the keys above."""
    with PushService(application_server_key=vapid["VAPID_PUBLIC_KEY"]) as service:
        yield service


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, tuple]]:
    """Every job enqueued, by task name and arguments; each still runs (JOBS_INLINE)."""
    seen: list[tuple[str, tuple]] = []
    real = jobs.enqueue

    def recording(task, *args):
        seen.append((task.name, args))
        real(task, *args)

    monkeypatch.setattr(jobs, "enqueue", recording)
    return seen
