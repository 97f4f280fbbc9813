from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgets.services import budget_create
from notifications.models import Notification
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

TRANSACTIONS = "/api/v1/transactions"


def expense(account, **overrides):
    body = {"account": account.pk, "kind": "expense", "amount": "12.50", "date": "2026-01-15", "description": "Lunch"}
    body.update(overrides)
    return body


def test_create_an_expense_and_read_it_back(auth_client, user, main_account, food):
    body = expense(main_account, category=food.pk, payee="Cafe", notes="with Bo", tags=["work", " lunch "])
    response = auth_client.post(TRANSACTIONS, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["amount"] == "12.50"
    assert (created["currency"], created["category"], created["transfer_account"]) == ("USD", food.pk, None)
    assert created["tags"] == ["work", "lunch"]
    tx = Transaction.objects.get(pk=created["id"])
    assert (tx.user, tx.account, tx.amount, tx.date) == (user, main_account, Decimal("12.50"), date(2026, 1, 15))
    assert auth_client.get(f"{TRANSACTIONS}/{tx.pk}").json() == created


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_date_defaults_to_today_where_the_user_lives(auth_client, user, main_account, tz):
    user.timezone = tz
    user.save(update_fields=["timezone"])
    before = datetime.now(ZoneInfo(tz)).date()
    response = auth_client.post(TRANSACTIONS, {"account": main_account.pk, "amount": "3.00"}, format="json")
    after = datetime.now(ZoneInfo(tz)).date()
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "expense"
    assert response.json()["date"] in {before.isoformat(), after.isoformat()}


def test_a_json_number_amount_is_read_exactly(auth_client, main_account):
    response = auth_client.post(TRANSACTIONS, expense(main_account, amount=123456789012.34), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "123456789012.34"


@pytest.mark.parametrize(
    "amount",
    [
        "0",
        "0.00",
        "-5.00",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "1e5",
        "1E+2",
        "12.345",
        "12345678901234567890",
        "1000000000000.00",
        "",
        "twelve",
        "1,50",
        True,
        None,
        [],
        {},
    ],
)
def test_bad_amounts_are_400_naming_amount(auth_client, main_account, amount):
    response = auth_client.post(TRANSACTIONS, expense(main_account, amount=amount), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["amount"]
    assert response.json()["message"].startswith("amount: ")
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "31/01/2026", "yesterday", ""])
def test_impossible_dates_are_400_naming_date(auth_client, main_account, value):
    response = auth_client.post(TRANSACTIONS, expense(main_account, date=value), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date"]


@pytest.mark.parametrize(
    "tags",
    [["x" * 33], ["a,b"], ["semi;colon"], [""], [f"t{i}" for i in range(21)], "not-a-list", [["nested"]]],
)
def test_bad_tags_are_400_naming_tags(auth_client, main_account, tags):
    response = auth_client.post(TRANSACTIONS, expense(main_account, tags=tags), format="json")
    assert response.status_code == 400
    assert "tags" in response.json()["errors"]


def test_repeated_tags_are_kept_once(auth_client, main_account):
    response = auth_client.post(TRANSACTIONS, expense(main_account, tags=["Trip", "trip", "food"]), format="json")
    assert response.json()["tags"] == ["Trip", "food"]


def test_a_category_of_the_wrong_kind_is_400_naming_category(auth_client, main_account, food, salary):
    wrong_income = auth_client.post(TRANSACTIONS, expense(main_account, kind="income", category=food.pk), format="json")
    assert wrong_income.status_code == 400
    assert list(wrong_income.json()["errors"]) == ["category"]
    wrong_expense = auth_client.post(TRANSACTIONS, expense(main_account, category=salary.pk), format="json")
    assert wrong_expense.status_code == 400
    assert list(wrong_expense.json()["errors"]) == ["category"]


def test_a_transfer_moves_money_between_two_of_the_users_accounts(auth_client, user, main_account):
    savings = make_account(user, name="Savings")
    body = expense(main_account, kind="transfer", transfer_account=savings.pk, amount="40.00")
    response = auth_client.post(TRANSACTIONS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["transfer_account"] == savings.pk
    assert response.json()["category"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "transfer"}, "transfer_account"),
        ({"kind": "transfer", "transfer_account": "self"}, "transfer_account"),
        ({"kind": "transfer", "transfer_account": "euro"}, "transfer_account"),
        ({"kind": "transfer", "transfer_account": "savings", "category": "food"}, "category"),
        ({"kind": "expense", "transfer_account": "savings"}, "transfer_account"),
        ({"kind": "income", "transfer_account": "savings"}, "transfer_account"),
    ],
)
def test_transfer_rules_are_400_naming_the_field(auth_client, user, main_account, food, overrides, field):
    accounts = {
        "self": main_account,
        "savings": make_account(user, name="Savings"),
        "euro": make_account(user, name="Euro", currency="EUR"),
    }
    body = expense(main_account, **overrides)
    if "transfer_account" in overrides:
        body["transfer_account"] = accounts[overrides["transfer_account"]].pk
    if "category" in overrides:
        body["category"] = food.pk
    response = auth_client.post(TRANSACTIONS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_an_archived_account_takes_no_new_transactions(auth_client, user, main_account):
    archived = make_account(user, name="Closed", is_archived=True)
    response = auth_client.post(TRANSACTIONS, expense(archived), format="json")
    assert response.status_code == 400
    assert "archived" in response.json()["errors"]["account"][0]
    transfer = auth_client.post(
        TRANSACTIONS, expense(main_account, kind="transfer", transfer_account=archived.pk), format="json"
    )
    assert transfer.status_code == 400
    assert "transfer_account" in transfer.json()["errors"]


def test_an_old_transaction_on_a_since_archived_account_can_still_be_edited(auth_client, user):
    account = make_account(user, name="Closing")
    tx = make_transaction(account, amount="7.00")
    account.is_archived = True
    account.save()
    response = auth_client.patch(f"{TRANSACTIONS}/{tx.pk}", {"description": "Fixed typo"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "Fixed typo"


def test_external_ids_are_unique_per_account(auth_client, user, main_account):
    other = make_account(user, name="Other")
    assert auth_client.post(TRANSACTIONS, expense(main_account, external_id="abc-1"), format="json").status_code == 201
    duplicate = auth_client.post(TRANSACTIONS, expense(main_account, external_id="abc-1"), format="json")
    assert duplicate.status_code == 400
    assert list(duplicate.json()["errors"]) == ["external_id"]
    assert auth_client.post(TRANSACTIONS, expense(other, external_id="abc-1"), format="json").status_code == 201


def test_update_and_delete(auth_client, main_account, food, salary):
    tx = make_transaction(main_account, amount="5.00", category=food)
    url = f"{TRANSACTIONS}/{tx.pk}"
    response = auth_client.patch(url, {"amount": "6.10", "description": "Bakery"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["amount"], response.json()["description"]) == ("6.10", "Bakery")

    wrong = auth_client.patch(url, {"kind": "income"}, format="json")
    assert wrong.status_code == 400
    assert list(wrong.json()["errors"]) == ["category"]
    switched = auth_client.patch(url, {"kind": "income", "category": salary.pk}, format="json")
    assert switched.status_code == 200, switched.json()

    replacement = {
        "account": main_account.pk,
        "kind": "expense",
        "amount": "1.00",
        "date": "2026-03-01",
        "category": None,
    }
    put = auth_client.put(url, replacement, format="json")
    assert put.status_code == 200, put.json()
    assert (put.json()["kind"], put.json()["category"], put.json()["date"]) == ("expense", None, "2026-03-01")

    assert auth_client.delete(url).status_code == 204
    assert not Transaction.objects.filter(pk=tx.pk).exists()
    assert auth_client.get(url).status_code == 404


def list_ids(client, **params) -> list[int]:
    response = client.get(TRANSACTIONS, {"page_size": 200, **params})
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def ledger(user, main_account, food, salary):
    """A small ledger the filter tests pick from."""
    savings = make_account(user, name="Savings")
    travel = make_category(user, name="Travel")
    main = partial(make_transaction, main_account)
    return {
        "savings": savings,
        "travel": travel,
        "lunch": main(
            amount="12.50", on=date(2026, 1, 5), category=food, description="Lunch at Mario's", payee="Mario"
        ),
        "train": main(amount="80.00", on=date(2026, 1, 20), category=travel, description="Train", notes="to Lisbon"),
        "pay": main(amount="3000.00", kind="income", on=date(2026, 1, 31), category=salary, description="January pay"),
        "move": main(
            amount="500.00", kind="transfer", on=date(2026, 2, 1), transfer_account=savings, description="To savings"
        ),
        "odd": make_transaction(savings, amount="1.99", on=date(2026, 2, 3), description="Uncategorised fee"),
    }


def test_filters(auth_client, ledger, main_account, food):
    ids = {name: tx.pk for name, tx in ledger.items() if isinstance(tx, Transaction)}
    assert set(list_ids(auth_client, date_from="2026-01-20", date_to="2026-01-31")) == {ids["train"], ids["pay"]}
    assert set(list_ids(auth_client, account=ledger["savings"].pk)) == {ids["move"], ids["odd"]}
    assert set(list_ids(auth_client, account=main_account.pk)) == {ids["lunch"], ids["train"], ids["pay"], ids["move"]}
    assert list_ids(auth_client, category=food.pk) == [ids["lunch"]]
    assert set(list_ids(auth_client, uncategorized="true")) == {ids["move"], ids["odd"]}
    assert set(list_ids(auth_client, amount_min="12.50", amount_max="500")) == {ids["lunch"], ids["train"], ids["move"]}
    assert list_ids(auth_client, search="lisbon") == [ids["train"]]
    assert list_ids(auth_client, search="mario LUNCH") == [ids["lunch"]]
    assert list_ids(auth_client, search="mario train") == []


def test_transfers_are_neither_income_nor_spending(auth_client, ledger):
    ids = {name: tx.pk for name, tx in ledger.items() if isinstance(tx, Transaction)}
    assert set(list_ids(auth_client, kind="expense")) == {ids["lunch"], ids["train"], ids["odd"]}
    assert list_ids(auth_client, kind="income") == [ids["pay"]]
    assert list_ids(auth_client, kind="transfer") == [ids["move"]]


def test_ordering(auth_client, ledger):
    by_amount = [ledger[name].pk for name in ("odd", "lunch", "train", "move", "pay")]
    assert list_ids(auth_client, ordering="amount") == by_amount
    assert list_ids(auth_client, ordering="-amount") == by_amount[::-1]
    by_date = [ledger[name].pk for name in ("lunch", "train", "pay", "move", "odd")]
    assert list_ids(auth_client, ordering="date") == by_date
    assert list_ids(auth_client, ordering="-date") == by_date[::-1]
    assert list_ids(auth_client) == by_date[::-1]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-02-30"},
        {"kind": "refund"},
        {"amount_min": "lots"},
        {"ordering": "description"},
        {"category": "999999"},
    ],
)
def test_bad_filters_are_400(auth_client, ledger, params):
    response = auth_client.get(TRANSACTIONS, params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_pages_do_not_repeat_rows_with_equal_dates(auth_client, main_account):
    made = {make_transaction(main_account, amount="1.00", on=date(2026, 1, 1)).pk for _ in range(7)}
    seen = []
    for page in (1, 2, 3):
        seen += [
            row["id"]
            for row in auth_client.get(TRANSACTIONS, {"page_size": 3, "page": page, "ordering": "date"}).json()[
                "results"
            ]
        ]
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_fixed_number_of_queries(
    auth_client, user, main_account, food, count, django_assert_max_num_queries
):
    savings = make_account(user, name="Savings")
    for index in range(count):
        if index % 2:
            make_transaction(main_account, amount="2.00", category=food, on=date(2026, 1, 1) + timedelta(days=index))
        else:
            make_transaction(main_account, amount="2.00", kind="transfer", transfer_account=savings)
    with django_assert_max_num_queries(3):
        response = auth_client.get(TRANSACTIONS, {"page_size": 100})
    assert response.json()["count"] == count


def test_a_write_that_notifies_stays_within_its_query_budget(
    auth_client, user, main_account, salary, food, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """The create path is the hot write path: the user, the account and category, the
    INSERT, the income rule's lock, one read and INSERT, the budget rule's lock (the
    same row: it must come before the sums, see notifications.rules.budget_thresholds)
    and two reads, and nothing after the commit (the commit callbacks run inside the
    count). The test's own transaction turns the service's BEGIN and COMMIT into a
    SAVEPOINT and a RELEASE, which count here: 10 + 2. SQLite has no row lock to take,
    and notify() guards its INSERT with a savepoint there instead: 8 + 2 + 2."""
    Notification.objects.create(user=user, type=Notification.Type.ANNOUNCEMENT, title="Earlier", message="m")
    budget_create(user=user, category=food, amount=Decimal("100.00"))
    with django_assert_max_num_queries(12):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = auth_client.post(
                TRANSACTIONS,
                {"account": main_account.pk, "kind": "income", "category": salary.pk, "amount": "10.00"},
                format="json",
            )
    assert response.status_code == 201, response.json()
    assert len(callbacks) == 1  # the push, which reads nothing
    assert Notification.objects.filter(user=user, type=Notification.Type.INCOME_RECEIVED).count() == 1
