"""The assistant's pages with Django's test client: a conversation without JavaScript, and
a proposed change confirmed from the page."""

import pytest

from budgetpay.testing.factories import make_transaction
from chatbot import services as chat_services
from chatbot.models import Conversation, ProposedAction
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def test_the_assistant_page_without_javascript(page_client, user, ai_off):
    empty = page_client.post("/chat/", {"content": ""})
    assert empty.context["form"].errors["content"] == ["Write a message."]
    sent = page_client.post("/chat/", {"content": "How much did I spend this month?"})
    conversation = Conversation.objects.get(user=user)
    assert sent["Location"] == f"/chat/{conversation.pk}/"
    page = page_client.get(sent["Location"]).content.decode()
    assert "How much did I spend this month?" in page
    assert 'class="bubble assistant"' in page
    assert 'data-api="/api/v1/chatbot/messages"' in page


def test_a_proposed_change_is_confirmed_from_the_page(page_client, user, main_account):
    tx = make_transaction(main_account, amount="4.00", description="Typo")
    conversation = chat_services.conversation_create(user=user)
    action = ProposedAction.objects.create(
        user=user, conversation=conversation, operation="delete", summary="Delete Typo", transaction=tx
    )
    response = page_client.post(f"/chat/actions/{action.pk}/confirm/")
    assert response["Location"] == f"/chat/{conversation.pk}/"
    assert not Transaction.objects.filter(pk=tx.pk).exists()
