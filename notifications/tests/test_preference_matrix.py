"""The preferences API as a type × channel matrix: the original `{type: bool}` shape still
reads and writes the in-app column, the matrix sits under "channels", the lock-screen option
under "push_hides_amounts", and each refusal names its path in the body."""

import pytest

from budgetpay.testing.api import assert_refused_naming
from notifications import delivery_settings, services
from notifications.models import (
    Channel,
    DeliverySettings,
    Notification,
    NotificationPreference,
    channel_default,
    email_timing_default,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/notification/preferences"
TYPES = Notification.Type.values


def stored(user) -> dict[tuple[str, str], bool]:
    rows = NotificationPreference.objects.filter(user=user).values_list("type", "channel", "enabled")
    return {(type, channel): enabled for type, channel, enabled in rows}


def test_every_type_is_still_a_boolean_with_the_matrix_and_the_option_beside_them(auth_client):
    answer = auth_client.get(URL).json()
    assert list(answer) == [*TYPES, "channels", "push_hides_amounts", "email_timing", "email_hides_amounts"]
    assert all(answer[type] is channel_default(type, Channel.IN_APP) for type in TYPES)
    assert answer["push_hides_amounts"] is False
    assert answer["email_hides_amounts"] is False
    assert answer["email_timing"] == {type: email_timing_default(type) for type in TYPES}
    assert answer["channels"] == {
        type: {channel: channel_default(type, channel) for channel in Channel.values} for type in TYPES
    }


def test_the_defaults_push_alerts_keep_insights_in_the_app_and_mute_receipts(auth_client):
    channels = auth_client.get(URL).json()["channels"]
    assert channels["budget_exceeded"] == {"in_app": True, "push": True, "webhook": True, "email": True}
    assert channels["budget_threshold"]["push"] is True
    assert channels["budget_threshold"]["email"] is False
    assert channels["budget_insight"] == {"in_app": True, "push": False, "webhook": True, "email": True}
    assert channels["saving_tip"]["push"] is False
    assert channels["expense_recorded"] == {"in_app": False, "push": False, "webhook": False, "email": False}


def test_the_original_patch_turns_the_in_app_choice_off_and_leaves_push_and_webhook(auth_client, user):
    answer = auth_client.patch(URL, {"budget_exceeded": False}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["budget_exceeded"] is False
    assert body["channels"]["budget_exceeded"] == {"in_app": False, "push": True, "webhook": True, "email": True}
    assert stored(user) == {("budget_exceeded", "in_app"): False}
    assert services.type_enabled(user=user, type="budget_exceeded", channel=Channel.PUSH) is True
    assert auth_client.get(URL).json()["budget_exceeded"] is False


def test_a_partial_matrix_changes_only_the_cells_sent(auth_client, user):
    before = auth_client.get(URL).json()
    changes = {"saving_tip": {"push": True}, "budget_exceeded": {"webhook": False, "push": False}}
    answer = auth_client.patch(URL, {"channels": changes}, format="json").json()

    expected = before["channels"]
    expected["saving_tip"]["push"] = True
    expected["budget_exceeded"].update(webhook=False, push=False)
    assert answer["channels"] == expected
    assert answer["saving_tip"] is True and answer["budget_exceeded"] is True
    assert stored(user) == {
        ("saving_tip", "push"): True,
        ("budget_exceeded", "webhook"): False,
        ("budget_exceeded", "push"): False,
    }
    assert services.type_enabled(user=user, type="budget_exceeded", channel=Channel.PUSH) is False


def test_one_patch_mixes_the_original_shape_the_matrix_and_the_option(auth_client, user):
    body = {
        "large_expense": False,
        "channels": {"large_expense": {"push": False}, "income_received": {"in_app": False}},
        "push_hides_amounts": True,
    }
    answer = auth_client.patch(URL, body, format="json").json()
    assert answer["large_expense"] is False and answer["income_received"] is False
    assert answer["channels"]["large_expense"] == {"in_app": False, "push": False, "webhook": True, "email": False}
    assert answer["push_hides_amounts"] is True
    assert stored(user) == {
        ("large_expense", "in_app"): False,
        ("large_expense", "push"): False,
        ("income_received", "in_app"): False,
    }


def test_the_same_in_app_choice_sent_twice_must_agree(auth_client, user):
    agreeing = {"saving_tip": False, "channels": {"saving_tip": {"in_app": False}}}
    assert auth_client.patch(URL, agreeing, format="json").json()["saving_tip"] is False

    disagreeing = {"goal_behind": False, "channels": {"goal_behind": {"in_app": True}}}
    assert_refused_naming(auth_client.patch(URL, disagreeing, format="json"), "channels.goal_behind.in_app")
    assert ("goal_behind", "in_app") not in stored(user)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"channels": {"budget_exceeded": {"fax": True}}}, "channels.budget_exceeded.fax"),
        ({"channels": {"budget_exceeded": {"push": "yes"}}}, "channels.budget_exceeded.push"),
        ({"channels": {"budget_exceeded": {"push": 1}}}, "channels.budget_exceeded.push"),
        ({"channels": {"nope": {"push": True}}}, "channels.nope"),
        ({"channels": {"budget_exceeded": True}}, "channels.budget_exceeded"),
        ({"channels": [{"budget_exceeded": {"push": True}}]}, "channels"),
        ({"push_hides_amounts": "true"}, "push_hides_amounts"),
        ({"push_hides_amounts": None}, "push_hides_amounts"),
        ({"nope": True}, "nope"),
        ({"saving_tip": "no"}, "saving_tip"),
    ],
)
def test_a_refusal_names_the_path_and_writes_nothing(auth_client, user, body, path):
    # A valid change beside the bad one is not written either: the body is taken whole or not at all.
    body = {**body, "goal_progress": False}
    assert_refused_naming(auth_client.patch(URL, body, format="json"), path)
    assert stored(user) == {}
    assert not DeliverySettings.objects.filter(user=user).exists()


def test_every_bad_path_is_named_at_once(auth_client):
    body = {"channels": {"budget_exceeded": {"fax": True, "push": "on"}, "nope": {}}, "huh": 1}
    errors = auth_client.patch(URL, body, format="json").json()["errors"]
    assert set(errors) == {"channels.budget_exceeded.fax", "channels.budget_exceeded.push", "channels.nope", "huh"}
    assert errors["channels.budget_exceeded.fax"] == ["Unknown channel. Known: in_app, push, webhook, email."]


@pytest.mark.parametrize("body", [{}, [], "budget_exceeded"])
def test_an_empty_or_shapeless_body_is_refused(auth_client, body):
    answer = auth_client.patch(URL, body, format="json")
    assert answer.status_code == 400
    assert "channels" in answer.json()["message"]


def test_hiding_amounts_in_pushes_round_trips(auth_client, user):
    assert delivery_settings.push_hides_amounts(user_id=user.pk) is False
    assert auth_client.patch(URL, {"push_hides_amounts": True}, format="json").json()["push_hides_amounts"] is True
    assert auth_client.get(URL).json()["push_hides_amounts"] is True
    assert delivery_settings.push_hides_amounts(user_id=user.pk) is True
    assert stored(user) == {}

    assert auth_client.patch(URL, {"push_hides_amounts": False}, format="json").json()["push_hides_amounts"] is False
    assert delivery_settings.push_hides_amounts(user_id=user.pk) is False
    assert DeliverySettings.objects.filter(user=user).count() == 1


def test_one_persons_choices_are_theirs_alone(auth_client, other_client, user, other_user):
    auth_client.patch(URL, {"channels": {"saving_tip": {"push": True}}, "push_hides_amounts": True}, format="json")
    theirs = other_client.get(URL).json()
    assert theirs["channels"]["saving_tip"]["push"] is False
    assert theirs["push_hides_amounts"] is False
    assert stored(other_user) == {}


def test_the_schema_documents_the_matrix_under_channels(auth_client):
    schema = auth_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    answer = schema["components"]["schemas"]["NotificationPreferences"]["properties"]
    assert answer["budget_exceeded"]["type"] == "boolean"
    assert answer["push_hides_amounts"]["type"] == "boolean"
    matrix = schema["components"]["schemas"]["NotificationChannelMatrix"]["properties"]
    row = schema["components"]["schemas"]["ChannelChoices"]["properties"]
    assert set(matrix) == set(TYPES) and set(row) == {"in_app", "push", "webhook", "email"}
    assert answer["email_hides_amounts"]["type"] == "boolean"
    assert answer["email_timing"]["additionalProperties"]["enum"] == ["immediate", "daily", "weekly"]
    operation = schema["paths"]["/api/v1/notification/preferences"]["patch"]
    assert "channels.budget_exceeded.fax" in operation["description"]
