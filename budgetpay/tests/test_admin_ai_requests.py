"""Staff read the log of model calls (the README sends them to `AIRequest` in the admin)
filtered by outcome, purpose and model, and cannot write it."""

import pytest

from budgetpay.models import AIRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_log(user, other_user) -> dict[str, AIRequest]:
    return {
        "chat": AIRequest.objects.create(
            user=user,
            purpose="chat",
            model="openai/gpt-4o-mini",
            prompt_tokens=812,
            completion_tokens=64,
            succeeded=True,
        ),
        "failed": AIRequest.objects.create(user=user, purpose="insight:saving_tip", error="provider timed out"),
        "grace": AIRequest.objects.create(
            user=other_user, purpose="chat", model="openai/gpt-4o-mini", prompt_tokens=90, succeeded=True
        ),
    }


def test_staff_list_and_filter_each_persons_model_calls(admin_client, user, requests_log):
    listing = admin_client.get("/admin/budgetpay/airequest/", {"q": user.email})
    assert listing.status_code == 200
    assert set(listing.context["cl"].result_list) == {requests_log["chat"], requests_log["failed"]}
    page = listing.content.decode()
    assert "812" in page and "provider timed out" in page

    failed = admin_client.get("/admin/budgetpay/airequest/", {"succeeded__exact": "0"})
    assert list(failed.context["cl"].result_list) == [requests_log["failed"]]
    chats = admin_client.get("/admin/budgetpay/airequest/", {"purpose": "chat"})
    assert set(chats.context["cl"].result_list) == {requests_log["chat"], requests_log["grace"]}
    by_model = admin_client.get("/admin/budgetpay/airequest/", {"model": "openai/gpt-4o-mini"})
    assert by_model.context["cl"].result_count == 2


def test_staff_cannot_add_or_change_a_logged_call(admin_client, user, requests_log):
    logged = requests_log["chat"]
    page = admin_client.get(f"/admin/budgetpay/airequest/{logged.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/budgetpay/airequest/add/").status_code == 403
    changed = admin_client.post(f"/admin/budgetpay/airequest/{logged.pk}/change/", {"prompt_tokens": "0"})
    assert changed.status_code == 403
    logged.refresh_from_db()
    assert logged.prompt_tokens == 812
    # Read-only without taking deletion away: staff can still delete a person who used the assistant.
    confirm = admin_client.get(f"/admin/users/user/{user.pk}/delete/")
    assert confirm.status_code == 200 and not confirm.context["perms_lacking"]
