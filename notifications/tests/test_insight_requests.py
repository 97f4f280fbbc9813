"""Asking for insights: the original API's request shapes for generate-ai, and
generate-budget-insight keyed so that asking again with nothing changed returns
the stored insight (200) instead of a new copy, without asking the model."""

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections

from budgetpay.testing.communicator import with_a_socket_of
from budgetpay.testing.factories import make_category, make_transaction
from budgetpay.testing.insights import GENERATE, GENERATE_AI, NOW, TODAY
from budgetpay.testing.people import client_for
from budgetpay.testing.services import REQUIRE_SERVICES
from budgets.models import Budget
from notifications.models import Notification

# Every test is on the insight day (notifications/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("insight_clock")]

# A figure only a client could have sent: it must never reach the model.
CLIENT_FIGURE = "98765.43"


def reply(fake_openrouter, title: str) -> None:
    fake_openrouter.reply_text(json.dumps({"title": title, "message": f"{title}: 100.00 USD on dining so far."}))


def prompt(fake_openrouter, index: int = -1) -> str:
    return fake_openrouter.calls[index]["messages"][1]["content"]


# --- generate-ai: the original API's parameter and body -------------------------------------


def test_the_original_request_shape_is_answered(auth_client, calm_month, fake_openrouter):
    """The original: `?notification_type=` and the free-form context as the whole JSON body."""
    reply(fake_openrouter, "Slow down")
    response = auth_client.post(
        f"{GENERATE_AI}?notification_type=saving_tip",
        {"total_spent": float(CLIENT_FIGURE), "note": "from the client", "categories": [{"name": "Dining"}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["type"] == "saving_tip"
    assert response.json()["title"] == "Slow down"
    sent = prompt(fake_openrouter)
    assert '"notification_type": "saving_tip"' in sent
    assert '"spending": "100.00"' in sent  # the server's figures
    assert CLIENT_FIGURE not in sent and "from the client" not in sent


def test_a_context_object_is_accepted_and_never_reaches_the_model(auth_client, calm_month, fake_openrouter):
    response = auth_client.post(
        f"{GENERATE_AI}?notification_type=goal_progress",
        {"context": {"monthly_spending": CLIENT_FIGURE, "goals": [{"saved": CLIENT_FIGURE}]}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["type"] == "goal_progress"
    assert CLIENT_FIGURE not in prompt(fake_openrouter)


def test_the_query_parameter_alone_with_no_body(auth_client, calm_month, ai_off):
    response = auth_client.post(f"{GENERATE_AI}?notification_type=activity_reminder")
    assert response.status_code == 201, response.json()
    assert response.json()["type"] == "activity_reminder"


def test_notification_type_in_the_body(auth_client, calm_month, ai_off):
    response = auth_client.post(GENERATE_AI, {"notification_type": "spending_alert"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["type"] == "spending_alert"


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ("?notification_type=saving_tip", {"type": "goal_progress"}, "goal_progress"),
        ("", {"type": "goal_progress", "notification_type": "saving_tip"}, "goal_progress"),
        (
            "?notification_type=saving_tip",
            {"type": "goal_progress", "notification_type": "spending_alert"},
            "goal_progress",
        ),
        ("?notification_type=saving_tip", {"notification_type": "spending_alert"}, "spending_alert"),
    ],
)
def test_type_wins_when_both_are_sent(auth_client, calm_month, ai_off, query, body, expected):
    response = auth_client.post(f"{GENERATE_AI}{query}", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["type"] == expected


def test_an_unknown_notification_type_in_the_query_is_400(auth_client, calm_month, fake_openrouter):
    response = auth_client.post(f"{GENERATE_AI}?notification_type=horoscope", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "horoscope" in body["message"] and "notification_type" in body["errors"]
    assert fake_openrouter.calls == []


def test_an_unknown_type_wins_too_and_is_400(auth_client, calm_month, ai_off):
    response = auth_client.post(f"{GENERATE_AI}?notification_type=saving_tip", {"type": "horoscope"}, format="json")
    assert response.status_code == 400
    assert "horoscope" in response.json()["message"]


@pytest.mark.parametrize("body", [{}, {"context": {"total_spent": 1}}, {"focus": "dining"}])
def test_naming_no_insight_is_400_naming_both_parameters(auth_client, calm_month, fake_openrouter, body):
    response = auth_client.post(GENERATE_AI, body, format="json")
    assert response.status_code == 400
    message = response.json()["message"]
    assert "type" in message and "notification_type" in message and "saving_tip" in message
    assert fake_openrouter.calls == []


def test_a_body_that_is_not_an_object_is_400(auth_client, calm_month, ai_off):
    response = auth_client.post(f"{GENERATE_AI}?notification_type=saving_tip", [1, 2], format="json")
    assert response.status_code == 400


# --- generate-budget-insight: one insight per type, figures and day ----------------------------


def test_the_seeds_request_twice_stores_and_pushes_one_insight(
    user, auth_client, calm_month, fake_openrouter, django_capture_on_commit_callbacks
):
    """The seed's own request (POST, JSON content type, no body), twice: one row, one push,
    one model request; the second answer is the stored notification with 200."""
    reply(fake_openrouter, "Dining is running hot")
    reply(fake_openrouter, "A second, different text")

    def ask() -> tuple:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = auth_client.post(GENERATE, content_type="application/json")
        return response, callbacks

    ((first, first_callbacks), first_pushes), ((second, second_callbacks), second_pushes) = with_a_socket_of(
        user, ask, ask
    )
    assert first.status_code == 201, first.json()
    assert first.json()["type"] == "budget_insight"
    assert len(first_callbacks) == 1
    assert [m["notification"]["id"] for m in first_pushes] == [first.json()["id"]]

    assert second.status_code == 200, second.json()
    assert second.json() == first.json()
    assert second_callbacks == []
    assert second_pushes == []
    assert Notification.objects.filter(type="budget_insight").count() == 1
    assert len(fake_openrouter.calls) == 1


def test_a_read_insight_is_still_the_answer(auth_client, calm_month, ai_off):
    first = auth_client.post(GENERATE).json()
    auth_client.post(f"/api/v1/notification/{first['id']}/read")
    second = auth_client.post(GENERATE)
    assert second.status_code == 200
    assert second.json()["id"] == first["id"] and second.json()["is_read"] is True


def test_a_deleted_insight_is_written_again(auth_client, calm_month, ai_off):
    first = auth_client.post(GENERATE).json()
    assert auth_client.delete(f"/api/v1/notification/{first['id']}").status_code == 204
    again = auth_client.post(GENERATE)
    assert again.status_code == 201 and again.json()["id"] > first["id"]


def test_other_figures_write_a_new_insight(auth_client, calm_month, fake_openrouter):
    account, dining = calm_month
    first = auth_client.post(GENERATE).json()
    make_transaction(account, amount="12.00", category=dining, on=TODAY)
    response = auth_client.post(GENERATE)
    assert response.status_code == 201
    assert response.json()["id"] > first["id"]
    assert '"spending": "112.00"' in prompt(fake_openrouter)
    assert len(fake_openrouter.calls) == 2
    assert auth_client.post(GENERATE).status_code == 200  # and that one is kept in turn


def test_the_next_day_writes_a_new_insight(auth_client, calm_month, insight_clock, fake_openrouter):
    first = auth_client.post(GENERATE).json()
    insight_clock.move_to(NOW + timedelta(hours=8))  # 23:00 UTC: the same day
    assert auth_client.post(GENERATE).status_code == 200
    insight_clock.move_to(NOW + timedelta(hours=10))  # 01:00 UTC on the 11th: the figures are the same, the day is not
    response = auth_client.post(GENERATE)
    assert response.status_code == 201
    assert response.json()["type"] == first["type"] == "budget_insight"
    assert response.json()["id"] > first["id"]
    assert len(fake_openrouter.calls) == 2


@pytest.mark.parametrize(
    ("zone", "first", "second", "expected"),
    [
        # UTC+13: 23:30 on the 10th there, then 00:30 on the 11th, while both are the 10th in UTC.
        ("Pacific/Auckland", datetime(2026, 11, 10, 10, 30), datetime(2026, 11, 10, 11, 30), 201),
        # UTC-8: 23:30 on the 10th there, then 00:30 on the 11th, while both are the 11th in UTC.
        ("America/Los_Angeles", datetime(2026, 11, 11, 7, 30), datetime(2026, 11, 11, 8, 30), 201),
        # UTC-8: both mid-afternoon on the 10th there, on either side of midnight UTC.
        ("America/Los_Angeles", datetime(2026, 11, 10, 23, 30), datetime(2026, 11, 11, 0, 30), 200),
    ],
)
def test_the_day_is_the_persons_own(
    user, auth_client, calm_month, insight_clock, ai_off, zone, first, second, expected
):
    user.timezone = zone
    user.save()
    insight_clock.move_to(first.replace(tzinfo=UTC))
    assert auth_client.post(GENERATE).status_code == 201
    insight_clock.move_to(second.replace(tzinfo=UTC))
    assert auth_client.post(GENERATE).status_code == expected


def test_only_the_figures_that_chose_the_insight_key_it(user, auth_client, calm_month, ai_off):
    """A spending alert is chosen by the budgets over their limit: spending elsewhere does not
    make a new one; spending more where the budget is over does."""
    account, dining = calm_month
    Budget.objects.create(user=user, category=dining, amount=Decimal("80.00"), start_date=date(2026, 11, 1))
    alert = auth_client.post(GENERATE)
    assert alert.status_code == 201 and alert.json()["type"] == "spending_alert"
    make_transaction(account, amount="5.00", category=make_category(user, name="Transport"), on=TODAY)
    again = auth_client.post(GENERATE)
    assert again.status_code == 200 and again.json()["id"] == alert.json()["id"]
    make_transaction(account, amount="5.00", category=dining, on=TODAY)
    worse = auth_client.post(GENERATE)
    assert worse.status_code == 201 and "105.00" in worse.json()["message"]


def test_a_stored_insight_costs_no_ai_quota(auth_client, calm_month, fake_openrouter, settings):
    settings.AI_DAILY_LIMIT = 1
    first = auth_client.post(GENERATE)
    assert first.status_code == 201
    for _ in range(3):
        again = auth_client.post(GENERATE)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert len(fake_openrouter.calls) == 1


def test_generate_ai_always_writes_a_new_one(auth_client, calm_month, ai_off):
    """Asking for a named type (with a focus) is a deliberate request, not a page load."""
    ids = [auth_client.post(GENERATE_AI, {"type": "saving_tip"}, format="json").json()["id"] for _ in range(2)]
    assert ids[0] != ids[1]


@pytest.mark.services
@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES, reason="row locks: PostgreSQL (CI runs it there)"
)
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_store_one_insight(user, calm_month, fake_openrouter, settings):
    """Both requests pass the check before either has stored (the model answers neither
    until both have asked it): notify() stores the key once, and the other request
    answers with that row."""
    assert connection.vendor == "postgresql"
    settings.OPENROUTER_TIMEOUT_SECONDS = 20
    both_asked = threading.Barrier(2)

    def answer_when_both_asked(body: dict) -> tuple:
        both_asked.wait(timeout=15)
        return fake_openrouter.text_body(body, json.dumps({"title": "Hot dining", "message": "100.00 USD on dining."}))

    fake_openrouter.replies.extend([answer_when_both_asked, answer_when_both_asked])
    clients = [client_for(user), client_for(user)]
    responses: list = [None, None]
    failures: list[str] = []

    def ask(index: int) -> None:
        try:
            responses[index] = clients[index].post(GENERATE)
        except Exception as error:  # pragma: no cover - the assertion below reports it
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert not both_asked.broken and len(fake_openrouter.calls) == 2  # the race really happened
    assert sorted(response.status_code for response in responses) == [200, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert Notification.objects.filter(user=user, type="budget_insight").count() == 1
