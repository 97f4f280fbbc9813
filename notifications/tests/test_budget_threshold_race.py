"""Budget thresholds under concurrent writes, on PostgreSQL.

Two writes of one person that cross a threshold only together must notify once. The
rule reads the budget sums; if it reads them before taking the person's lock, each
write sees its own change and not the other's (neither is committed yet), each judges
the budget under the threshold, and the notification is lost. The rule takes the lock
first: the second write then waits for the first to commit, and its sums include it.

To make the bad interleaving certain rather than lucky, each request waits at the
budget sums query (through Django's execute_wrapper, a hook for exactly this) until
the other request reaches it too, for at most PAUSE_SECONDS, and once they met,
neither commits before both have read. With the lock taken first, the other request
cannot reach the sums (it waits for the lock), so the first one goes on after the
pause and the two run one after the other.
"""

import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from budgetpay.periods import user_today
from budgetpay.testing.factories import make_account, make_transaction
from budgetpay.testing.people import client_for
from budgetpay.testing.services import REQUIRE_SERVICES
from budgets.models import Budget
from notifications.models import Notification
from transactions.models import Account, Category, Transaction

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" and not REQUIRE_SERVICES, reason="row locks: PostgreSQL (CI runs it there)"
    ),
]

PAUSE_SECONDS = 3
THRESHOLD_TYPES = (Notification.Type.BUDGET_THRESHOLD, Notification.Type.BUDGET_EXCEEDED)


def _is_budget_sums(sql: str) -> bool:
    """The budget selector's conditional aggregation over the person's spending."""
    return 'SUM("transactions_transaction"."amount") FILTER' in sql


class MeetAtTheSums:
    """An execute_wrapper that holds a request at its first budget sums query until the
    other request is there too (or PAUSE_SECONDS pass), then, once they met, lets
    neither go on to commit before both have read their sums."""

    def __init__(self) -> None:
        self.arrived = threading.Barrier(2)
        self.both_read = threading.Barrier(2)
        self.met: list[bool] = []

    def wrapper(self):
        waited = False

        def pause_at_the_sums(execute, sql, params, many, context):
            nonlocal waited
            if waited or not _is_budget_sums(sql):
                return execute(sql, params, many, context)
            waited = True
            try:
                self.arrived.wait(timeout=PAUSE_SECONDS)
            except threading.BrokenBarrierError:
                self.met.append(False)
                return execute(sql, params, many, context)
            self.met.append(True)
            result = execute(sql, params, many, context)
            self.both_read.wait(timeout=PAUSE_SECONDS)
            return result

        return pause_at_the_sums


def run_together(*requests) -> list:
    """Each request in a thread of its own, all started at once; their responses."""
    meeting = MeetAtTheSums()
    responses: list = [None] * len(requests)
    failures: list[str] = []

    def run(index: int) -> None:
        try:
            with connection.execute_wrapper(meeting.wrapper()):
                responses[index] = requests[index]()
        except Exception as error:  # pragma: no cover - the assertion below reports it
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return responses


@pytest.fixture
def clients(user) -> list:
    """One API client per concurrent request, both signed in as the same person."""
    return [client_for(user), client_for(user)]


@pytest.fixture
def books(user):
    """A 100.00 monthly food budget alerting at 80 % and 100 %, and two 10.00 food
    expenses today: each write below lifts one to 45.00 (55.00 spent, no alert); the
    two together make 90.00, past 80 %."""
    account = Account.objects.get(user=user, name="Main account")
    food = Category.objects.get(user=user, name="Food", kind=Category.Kind.EXPENSE)
    today = user_today(user)
    Budget.objects.create(user=user, category=food, amount=Decimal("100.00"), start_date=today, thresholds=[80, 100])
    first = make_transaction(account, amount="10.00", category=food, on=today)
    second = make_transaction(account, amount="10.00", category=food, on=today)
    Notification.objects.all().delete()
    return account, food, first, second


def threshold_notifications() -> list[tuple[str, int]]:
    return [(n.type, n.data["threshold"]) for n in Notification.objects.filter(type__in=THRESHOLD_TYPES).order_by("id")]


def test_two_concurrent_edits_that_cross_a_threshold_together_notify_once(clients, books):
    _, _, first, second = books

    def raise_to_45(client, tx):
        return lambda: client.patch(f"/api/v1/transactions/{tx.pk}", {"amount": "45.00"}, format="json")

    responses = run_together(raise_to_45(clients[0], first), raise_to_45(clients[1], second))

    assert [response.status_code for response in responses] == [200, 200]
    assert sum(Transaction.objects.values_list("amount", flat=True)) == Decimal("90.00")
    assert threshold_notifications() == [(Notification.Type.BUDGET_THRESHOLD, 80)]


def test_two_concurrent_imports_that_cross_a_threshold_together_notify_once(clients, user, books):
    account, _, first, second = books
    Transaction.objects.filter(pk__in=[first.pk, second.pk]).delete()
    today = user_today(user)
    # Uncategorised spending counts in an all-spending budget; each file holds 45.00 of it.
    Budget.objects.all().delete()
    Budget.objects.create(user=user, amount=Decimal("100.00"), start_date=today, thresholds=[80, 100])
    Notification.objects.all().delete()

    def upload(client, description: str):
        content = f"Date,Description,Amount\n{today.isoformat()},{description},-45.00\n".encode()
        statement = SimpleUploadedFile(f"{description}.csv", content, content_type="text/csv")
        return lambda: client.post("/api/v1/transactions/import", {"file": statement, "account": account.pk})

    responses = run_together(upload(clients[0], "Market"), upload(clients[1], "Bakery"))

    assert [response.status_code for response in responses] == [201, 201]
    assert Transaction.objects.count() == 2
    assert threshold_notifications() == [(Notification.Type.BUDGET_THRESHOLD, 80)]


def test_an_import_racing_an_edit_that_cross_a_threshold_together_notify_once(clients, user, books):
    account, _, first, _ = books
    today = user_today(user)
    content = f"Date,Description,Category,Amount\n{today.isoformat()},Deli,Food,-30.00\n".encode()
    statement = SimpleUploadedFile("deli.csv", content, content_type="text/csv")

    def edit():
        return clients[0].patch(f"/api/v1/transactions/{first.pk}", {"amount": "45.00"}, format="json")

    def upload():
        return clients[1].post("/api/v1/transactions/import", {"file": statement, "account": account.pk})

    responses = run_together(edit, upload)

    assert [response.status_code for response in responses] == [200, 201]
    # 45 + 10 + 30: alone, the edit makes 55.00 and the import 50.00, both under 80 %.
    assert sum(Transaction.objects.values_list("amount", flat=True)) == Decimal("85.00")
    assert threshold_notifications() == [(Notification.Type.BUDGET_THRESHOLD, 80)]


def _is_inbox_lock(sql: str) -> bool:
    return sql.lstrip().startswith("SELECT 1 FROM users_user WHERE id =") and " FOR " in sql  # notifications.services


def test_two_concurrent_expenses_of_one_person_both_land(clients, user, books):
    """Each create inserts its row before the rules take the person's inbox lock (FOR UPDATE on
    their row). A foreign-key check holds FOR KEY SHARE on that row, which FOR UPDATE conflicts
    with: were the check made at the INSERT, two creates that both inserted before either locked
    would deadlock. Django creates PostgreSQL foreign keys DEFERRABLE INITIALLY DEFERRED, so the
    check runs at commit, under the lock the transaction already holds, and both land. Both
    requests are held at the lock until both have inserted (two accounts, so nothing orders
    them earlier); this pins that the order stays safe."""
    account, food, _, _ = books
    card = make_account(user, name="Card", currency=account.currency)
    arrived = threading.Barrier(2)

    def wrapper(execute, sql, params, many, context):
        if _is_inbox_lock(sql) and not getattr(local, "waited", False):
            local.waited = True
            try:
                arrived.wait(timeout=PAUSE_SECONDS)
                met.append(True)
            except threading.BrokenBarrierError:
                pass
        return execute(sql, params, many, context)

    local = threading.local()
    met: list[bool] = []
    responses: list = [None, None]
    failures: list[str] = []

    def spend(index: int, client, on_account) -> None:
        try:
            with connection.execute_wrapper(wrapper):
                responses[index] = client.post(
                    "/api/v1/transactions",
                    {"account": on_account.pk, "kind": "expense", "amount": "12.00", "category": food.pk},
                    format="json",
                )
        except Exception as error:  # pragma: no cover - the assertion below reports it
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=spend, args=(0, clients[0], account)),
        threading.Thread(target=spend, args=(1, clients[1], card)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert met == [True, True], "both requests reached the lock with their rows inserted"
    assert [response.status_code for response in responses] == [201, 201], [r.content for r in responses]
    assert Transaction.objects.filter(amount=Decimal("12.00")).count() == 2
