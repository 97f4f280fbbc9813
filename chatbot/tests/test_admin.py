from datetime import date

import pytest

from budgetpay.models import AIDailyUsage
from budgetpay.testing.chat import send
from chatbot.models import ProposedAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(auth_client, ai_off) -> dict:
    return send(auth_client, "add 3.20 for coffee today").json()


def test_staff_read_conversations_with_their_messages(admin_client, chat, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        listing = admin_client.get("/admin/chatbot/conversation/", {"q": "ada"})
    assert listing.context["cl"].result_count == 1
    page = admin_client.get(f"/admin/chatbot/conversation/{chat['conversation']['id']}/change/").content.decode()
    assert "add 3.20 for coffee today" in page and "AI is off" in page


def test_staff_see_proposed_actions_but_cannot_apply_or_edit_them(admin_client, chat):
    action = ProposedAction.objects.get()
    listing = admin_client.get("/admin/chatbot/proposedaction/", {"status__exact": "pending"})
    assert list(listing.context["cl"].result_list) == [action]
    page = admin_client.get(f"/admin/chatbot/proposedaction/{action.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/chatbot/proposedaction/add/").status_code == 403


def test_staff_see_each_persons_ai_usage_but_cannot_write_it(admin_client, user, other_user):
    usage = AIDailyUsage.objects.create(user=user, day=date(2026, 11, 3), used=4)
    AIDailyUsage.objects.create(user=other_user, day=date(2026, 11, 3), used=1)
    listing = admin_client.get("/admin/budgetpay/aidailyusage/", {"q": user.email})
    assert list(listing.context["cl"].result_list) == [usage]
    page = admin_client.get(f"/admin/budgetpay/aidailyusage/{usage.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/budgetpay/aidailyusage/add/").status_code == 403
    assert admin_client.post(f"/admin/budgetpay/aidailyusage/{usage.pk}/change/", {"used": "0"}).status_code == 403
    usage.refresh_from_db()
    assert usage.used == 4
    # Read-only without taking deletion away: staff can still delete a person who used the assistant.
    confirm = admin_client.get(f"/admin/users/user/{user.pk}/delete/")
    assert confirm.status_code == 200 and not confirm.context["perms_lacking"]
