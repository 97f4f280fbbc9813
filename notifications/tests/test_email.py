"""The email channel against a real mail server on 127.0.0.1 (aiosmtpd, budgetpay.testing.smtp_server)
reached through Django's SMTP backend: an immediate alert with both parts, its Message-ID and the
RFC 8058 headers; hidden amounts; one-click unsubscribe by POST without a session; a tampered
link; an unverified address; the hourly cap that moves the rest into the daily digest; digests."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core import signing
from django.test import Client
from django.utils import timezone

from budgetpay.formatting import format_money
from budgetpay.periods import user_today
from budgetpay.testing.factories import main_account_of, make_budget_this_month, make_category, make_transaction
from notifications import email, outbox, services
from notifications.models import Channel, Delivery, DeliverySettings, Notification, NotificationPreference

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def verified(user):
    user.locale = "de-DE"  # amounts as the pages write them for this person: "120,00 $"
    user.save(update_fields=["locale"])
    return EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


def overspend(user, commits) -> Notification:
    """120.00 spent on a Food budget of 100.00 this month: the budget_exceeded alert, by the rule."""
    food = make_category(user, name="Food")
    make_budget_this_month(user, amount="100.00", category=food)
    with commits(execute=True):
        make_transaction(main_account_of(user), amount="120.00", category=food, on=user_today(user))
    return Notification.objects.get(user=user, type=Notification.Type.BUDGET_EXCEEDED)


def alert(user, n: int, type: str = Notification.Type.BUDGET_EXCEEDED) -> Notification:
    return services.notify(user=user, type=type, title=f"Alert {n}", message=f"Over by {n}.00.", dedupe_key=f"t:{n}")


def unsubscribe_link(mail) -> str:
    header = str(mail.message["List-Unsubscribe"]).strip()  # a long header is folded before the "<"
    assert header.startswith("<") and header.endswith(">")
    return header[1:-1]


def email_rows(user):
    return Delivery.objects.filter(user=user, channel=Channel.EMAIL)


def test_an_immediate_alert_arrives_with_both_parts_its_message_id_and_one_click_headers(
    user, verified, smtp, django_capture_on_commit_callbacks
):
    notification = overspend(user, django_capture_on_commit_callbacks)

    (mail,) = smtp.wait_for(1)
    delivery = email_rows(user).get()
    assert delivery.state == Delivery.State.SENT and delivery.batch == "" and delivery.notification == notification
    assert delivery.attempt_log.count() == 1
    assert mail.rcpt_tos == [user.email]
    assert mail.message["Message-ID"] == f"<{delivery.key}@example.com>"
    assert mail.message["Subject"] == notification.title
    assert mail.message["List-Unsubscribe-Post"] == ONE_CLICK
    link = unsubscribe_link(mail)
    assert link.startswith("https://example.com/notifications/unsubscribe/")

    spent = format_money(Decimal("120.00"), user.currency, "de-DE")
    text, html = mail.part("text/plain"), mail.part("text/html")
    assert notification.message in text and spent in text
    assert notification.title in html and spent in html.replace("&nbsp;", "\u00a0")
    budget_page = f"https://example.com/budgets/{notification.related_id}/edit/"
    assert budget_page in text and budget_page in html
    assert link in text and link in html  # the visible link, beside the header


def test_hiding_amounts_leaves_them_out_of_subject_and_both_parts(
    user, verified, smtp, django_capture_on_commit_callbacks
):
    DeliverySettings.objects.create(user=user, email_hides_amounts=True)
    notification = overspend(user, django_capture_on_commit_callbacks)

    (mail,) = smtp.wait_for(1)
    assert mail.message["Subject"] == "Budget exceeded"
    for part in (mail.part("text/plain"), mail.part("text/html")):
        assert email.HIDDEN_MESSAGE in part
        assert "120" not in part and notification.message not in part


def test_one_click_unsubscribe_by_post_without_a_session_turns_the_cell_off(
    user, verified, smtp, django_capture_on_commit_callbacks
):
    overspend(user, django_capture_on_commit_callbacks)
    (mail,) = smtp.wait_for(1)
    path = unsubscribe_link(mail).removeprefix("https://example.com")
    stranger = Client(enforce_csrf_checks=True)  # a mail provider: no session, no CSRF token

    page = stranger.get(path)  # a link scanner's GET changes nothing
    assert page.status_code == 200 and "Budget exceeded" in page.content.decode()
    assert not NotificationPreference.objects.filter(user=user, channel=Channel.EMAIL).exists()

    answer = stranger.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    assert "You are unsubscribed" in answer.content.decode()
    assert NotificationPreference.objects.get(user=user, type="budget_exceeded", channel=Channel.EMAIL).enabled is False
    assert services.type_enabled(user=user, type="budget_exceeded", channel=Channel.IN_APP) is True

    with django_capture_on_commit_callbacks(execute=True):
        assert alert(user, 2) is not None
    assert not email_rows(user).filter(notification__title="Alert 2").exists()
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    "token",
    [
        "tampered",
        "x" * 5000,
        signing.dumps({"u": 1, "t": ["budget_exceeded"]}, salt="another.salt"),
        signing.dumps({"u": 1, "t": ["fax"]}, salt=email.UNSUBSCRIBE_SALT),
        signing.dumps({"u": "1", "t": ["budget_exceeded"]}, salt=email.UNSUBSCRIBE_SALT),
        signing.dumps([1, "budget_exceeded"], salt=email.UNSUBSCRIBE_SALT),
    ],
    ids=["garbage", "too-long", "other-salt", "unknown-type", "id-not-a-number", "not-an-object"],
)
def test_a_bad_or_foreign_token_answers_400_and_changes_nothing(user, token):
    stranger = Client(enforce_csrf_checks=True)
    for answer in (
        stranger.get(f"/notifications/unsubscribe/{token}/"),
        stranger.post(
            f"/notifications/unsubscribe/{token}/", ONE_CLICK, content_type="application/x-www-form-urlencoded"
        ),
    ):
        assert answer.status_code == 400
        assert "This unsubscribe link does not work" in answer.content.decode()
    assert not NotificationPreference.objects.exists()


def test_a_token_with_one_character_changed_is_refused(user):
    token = email.unsubscribe_token(user_id=user.pk, types=["budget_exceeded"])
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    answer = Client().post(f"/notifications/unsubscribe/{tampered}/", ONE_CLICK, content_type="text/plain")
    assert answer.status_code == 400
    assert not NotificationPreference.objects.exists()
    assert Client().post(f"/notifications/unsubscribe/{token}/").status_code == 200


def test_an_unverified_address_gets_no_email_row_and_nothing_arrives(user, smtp, django_capture_on_commit_callbacks):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    overspend(user, django_capture_on_commit_callbacks)
    assert not email_rows(user).exists()
    assert smtp.messages == []


def test_an_address_unverified_before_sending_gives_the_delivery_up_with_the_reason(user, verified, smtp):
    alert(user, 1)  # no ring: JOBS_INLINE sends only after a commit
    delivery = email_rows(user).get()
    EmailAddress.objects.filter(user=user).update(verified=False)

    assert outbox.delivery_send(delivery.pk) == Delivery.State.GIVEN_UP
    delivery.refresh_from_db()
    assert delivery.last_error == email.NOT_VERIFIED and "not verified" in delivery.last_error
    assert smtp.messages == []


def test_a_mailbox_refused_for_good_gives_up_and_for_now_retries(user, verified, smtp):
    first, second = alert(user, 1), alert(user, 2)
    smtp.refuse_next("550 5.1.1 No such mailbox")
    assert outbox.delivery_send(email_rows(user).get(notification=first).pk) == Delivery.State.GIVEN_UP
    smtp.refuse_next("451 4.3.0 Try again later")
    assert outbox.delivery_send(email_rows(user).get(notification=second).pk) == Delivery.State.FAILED
    errors = dict(email_rows(user).values_list("notification_id", "last_error"))
    assert "550" in errors[first.pk] and "451" in errors[second.pk]
    assert smtp.messages == []


def test_past_the_hourly_cap_the_rest_go_into_the_daily_digest(
    user, verified, smtp, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_IMMEDIATE_MAX_PER_HOUR = 2
    for n in range(1, 5):
        with django_capture_on_commit_callbacks(execute=True):
            alert(user, n)

    assert [mail.message["Subject"] for mail in smtp.wait_for(2)] == ["Alert 1", "Alert 2"]
    moved = email_rows(user).filter(batch="daily")
    assert sorted(moved.values_list("notification__title", flat=True)) == ["Alert 3", "Alert 4"]
    assert set(moved.values_list("state", flat=True)) == {Delivery.State.PENDING}
    assert all(row.attempts == 0 for row in moved)  # moving is not a try
    assert outbox.deliveries_sweep() == 0  # the digest's rows are its job's, not the sweeper's

    assert email.digest_send(user_id=user.pk, frequency="daily", local_date=user_today(user)) == 2
    assert len(smtp.messages) == 3
    digest = smtp.messages[-1]
    assert "Alert 3" in digest.part("text/plain") and "Alert 4" in digest.part("text/html")


def test_the_hourly_cap_counts_the_last_hour_s_immediate_emails_only(user, verified, smtp, settings):
    """Two immediate emails sent 61 minutes ago and a digest's row sent now do not count towards
    a cap of 2; one sent 59 minutes ago does, with the next one it is the second."""
    settings.EMAIL_IMMEDIATE_MAX_PER_HOUR = 2
    now = timezone.now()
    for n, sent_at, batch in (
        (1, now - timedelta(minutes=61), ""),
        (2, now - timedelta(minutes=61), ""),
        (3, now, "daily"),
    ):
        alert(user, n)
        email_rows(user).filter(notification__title=f"Alert {n}").update(
            state=Delivery.State.SENT, sent_at=sent_at, batch=batch
        )
    alert(user, 4)
    assert outbox.delivery_send(email_rows(user).get(notification__title="Alert 4").pk) == Delivery.State.SENT
    email_rows(user).filter(notification__title="Alert 4").update(sent_at=now - timedelta(minutes=59))
    alert(user, 5)
    assert outbox.delivery_send(email_rows(user).get(notification__title="Alert 5").pk) == Delivery.State.SENT
    alert(user, 6)
    assert outbox.delivery_send(email_rows(user).get(notification__title="Alert 6").pk) == Delivery.State.PENDING
    assert email_rows(user).get(notification__title="Alert 6").batch == "daily"
    assert [mail.message["Subject"] for mail in smtp.wait_for(2)] == ["Alert 4", "Alert 5"]


def test_an_immediate_email_asks_the_database_once_before_it_goes(user, verified, smtp, django_assert_num_queries):
    DeliverySettings.objects.create(user=user, email_hides_amounts=True)
    alert(user, 1)
    row = email_rows(user).get()
    with django_assert_num_queries(1):
        assert email._send_facts(row) == (verified.email, False, True)
    verified.verified = False
    verified.save()
    assert email._send_facts(row) == (None, False, True)


def test_a_digest_carries_every_waiting_notification_once(user, verified, smtp):
    for n in range(1, 4):
        alert(user, n, type=Notification.Type.SAVING_TIP)  # daily by default
    alert(user, 9, type=Notification.Type.WEEKLY_SUMMARY)  # weekly by default
    assert sorted(email_rows(user).values_list("batch", flat=True)) == ["daily", "daily", "daily", "weekly"]
    assert outbox.deliveries_sweep() == 0 and smtp.messages == []

    today = user_today(user)
    assert email.digest_send(user_id=user.pk, frequency="daily", local_date=today) == 3
    (mail,) = smtp.messages
    assert mail.message["Subject"] == "Your daily Budget Pay digest: 3 notifications"
    assert mail.message["List-Unsubscribe-Post"] == ONE_CLICK
    assert re.fullmatch(r"<digest_[0-9a-f]{32}@example\.com>", mail.message["Message-ID"])
    text = mail.part("text/plain")
    assert all(f"Alert {n}" in text for n in (1, 2, 3)) and "Alert 9" not in text
    daily = email_rows(user).filter(batch="daily")
    assert set(daily.values_list("state", flat=True)) == {Delivery.State.SENT}

    assert email.digest_send(user_id=user.pk, frequency="daily", local_date=today) == 0
    assert len(smtp.messages) == 1
    assert email_rows(user).get(batch="weekly").state == Delivery.State.PENDING

    # Its unsubscribe link turns off every type it carried.
    path = unsubscribe_link(mail).removeprefix("https://example.com")
    assert Client().post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded").status_code == 200
    assert services.type_enabled(user=user, type="saving_tip", channel=Channel.EMAIL) is False
    assert services.type_enabled(user=user, type="weekly_summary", channel=Channel.EMAIL) is True


def test_a_digest_with_nothing_waiting_sends_nothing(user, verified, smtp):
    assert email.digest_send(user_id=user.pk, frequency="weekly", local_date=user_today(user)) == 0
    assert smtp.messages == []


def test_a_digest_to_an_address_no_longer_verified_gives_its_rows_up(user, verified, smtp):
    alert(user, 1, type=Notification.Type.SAVING_TIP)
    EmailAddress.objects.filter(user=user).update(verified=False)
    assert email.digest_send(user_id=user.pk, frequency="daily", local_date=user_today(user)) == 0
    row = email_rows(user).get()
    assert row.state == Delivery.State.GIVEN_UP and row.last_error == email.NOT_VERIFIED
    assert smtp.messages == []


def test_a_digest_the_server_refuses_puts_its_rows_back_for_the_next_one(user, verified, smtp):
    alert(user, 1, type=Notification.Type.SAVING_TIP)
    smtp.refuse_next("451 4.3.0 Try again later")
    with pytest.raises(email.DigestNotSent, match="451"):
        email.digest_send(user_id=user.pk, frequency="daily", local_date=user_today(user))
    assert email_rows(user).get().state == Delivery.State.FAILED
    assert email.digest_send(user_id=user.pk, frequency="daily", local_date=user_today(user)) == 1
    assert len(smtp.messages) == 1


def test_a_worker_keeps_its_connection_to_the_mail_server_and_opens_it_again_once_dropped(
    user, verified, smtp, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_IMMEDIATE_MAX_PER_HOUR = 0
    for n in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            alert(user, n)
    first, second = smtp.wait_for(2)
    assert first.peer == second.peer  # one connection, two emails

    smtp.restart()  # the server drops the kept connection, as an idle timeout would
    with django_capture_on_commit_callbacks(execute=True):
        alert(user, 3)
    third = smtp.wait_for(3)[2]
    assert third.message["Subject"] == "Alert 3" and third.peer != first.peer
    assert set(email_rows(user).values_list("state", "attempts")) == {(Delivery.State.SENT, 1)}

    smtp.stop()  # down for good: one failed try, kept for a retry
    with django_capture_on_commit_callbacks(execute=True):
        alert(user, 4)
    waiting = email_rows(user).get(notification__title="Alert 4")
    assert waiting.state == Delivery.State.FAILED and "could not be reached" in waiting.last_error
