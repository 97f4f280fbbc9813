"""Daphne's HTTP handler (budgetpay.asgi_handler): the whole middleware chain and the view run
in one crossing from the event loop to a worker thread, and the answer is the one Django's own
handler gives (the same middleware, in the same order)."""

import json
from decimal import Decimal

import pytest
from asgiref.sync import AsyncToSync, SyncToAsync, async_to_sync, iscoroutinefunction
from channels.testing import HttpCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from budgetpay.asgi import application, django_asgi_app
from budgetpay.testing.people import make_user
from transactions.models import Account, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def crossings(monkeypatch) -> list[str]:
    """Each sync_to_async and async_to_sync call made from now on, by the name of what it runs."""
    made: list[str] = []
    to_thread, to_loop = SyncToAsync.__call__, AsyncToSync.__call__

    async def into_thread(self, *args, **kwargs):
        made.append(f"thread:{getattr(self.func, '__qualname__', self.func)}")
        return await to_thread(self, *args, **kwargs)

    def into_loop(self, *args, **kwargs):
        made.append(f"loop:{getattr(self.awaitable, '__qualname__', self.awaitable)}")
        return to_loop(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", into_thread)
    monkeypatch.setattr(AsyncToSync, "__call__", into_loop)
    return made


def test_an_api_write_crosses_into_its_thread_once_with_every_middleware_on_the_way(monkeypatch):
    person = make_user()
    account = Account.objects.get(user=person)
    body = json.dumps({"account": account.pk, "kind": "income", "amount": "12.50"}).encode()
    headers = [
        (b"authorization", f"Bearer {AccessToken.for_user(person)}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"host", b"localhost"),
    ]
    made = crossings(monkeypatch)
    communicator = HttpCommunicator(application, "POST", "/api/v1/transactions", body=body, headers=headers)
    answer = async_to_sync(communicator.get_response)(timeout=10)
    assert made.pop(0) == "loop:HttpCommunicator.get_response"  # the test's own way in

    assert answer["status"] == 201, answer["body"]
    assert json.loads(answer["body"])["amount"] == "12.50"
    assert Transaction.objects.get(user=person).amount == Decimal("12.50")
    headers_out = {name.decode().lower(): value.decode() for name, value in answer["headers"]}
    assert "no-store" in headers_out["cache-control"]  # NoStoreForPersonalResponsesMiddleware
    assert "content-security-policy" in headers_out  # ContentSecurityPolicyMiddleware
    assert headers_out["x-frame-options"] == "DENY"  # XFrameOptionsMiddleware, innermost but one
    # The chain and the view: one crossing, and nothing of the chain crosses back to the loop
    # inside it (the income's notification does, to ring the person's sockets after the commit).
    assert [name for name in made if "get_response" in name] == ["thread:BaseHandler.get_response"]
    assert [name for name in made if name.startswith("loop:") and "group_send" not in name] == []
    assert any(name.startswith("loop:") and "group_send" in name for name in made)


def test_the_chain_is_built_sync():
    """Django's own ASGIHandler builds it async (a coroutine function at its top)."""
    assert not iscoroutinefunction(django_asgi_app._middleware_chain)
