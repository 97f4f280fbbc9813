"""One meaning of searching transactions (transactions.selectors.transaction_search), the
API's: every word of the query, in any order and any case, in the description, payee or
notes. The API's ?search= and the assistant's tools use it; the transactions page used to
match the whole query in the description, payee or category name, and is to use it too."""

from datetime import date
from functools import partial

import pytest

from budgetpay.periods import user_today
from budgetpay.testing.factories import make_transaction
from chatbot.tools import Turn, search_transactions
from transactions.models import Account, Transaction
from transactions.selectors import transaction_search

pytestmark = pytest.mark.django_db

TRANSACTIONS = "/api/v1/transactions"


@pytest.fixture
def rows(user, other_user, main_account, food) -> dict[str, int]:
    theirs = Account.objects.get(user=other_user, name="Main account")
    mine = partial(make_transaction, main_account)
    made = {
        "lunch": mine(
            amount="12.50", on=date(2026, 1, 5), category=food, description="Lunch", payee="Mario's", notes="with Ana"
        ),
        "train": mine(amount="40.00", on=date(2026, 1, 6), description="Train to Lisbon"),
        "shop": mine(amount="80.00", on=date(2026, 1, 7), category=food, description="Weekly shop"),
        "theirs": make_transaction(theirs, amount="9.00", on=date(2026, 1, 5), description="Lunch", payee="Mario's"),
    }
    return {name: tx.pk for name, tx in made.items()}


# (query, what it finds). The marked ones are where the page's old search differed.
MEANINGS = [
    ("lunch", {"lunch"}),
    ("mario LUNCH", {"lunch"}),
    ("lunch mario", {"lunch"}),  # the page matched the whole text "lunch mario": nothing
    ("ana", {"lunch"}),  # notes: the page did not look there
    ("food", set()),  # a category's name: the page matched it
    ("mario train", set()),
    ("  ", {"lunch", "train", "shop"}),
]


@pytest.mark.parametrize(("query", "expected"), MEANINGS)
def test_every_word_in_the_description_payee_or_notes(user, rows, query, expected):
    found = set(transaction_search(user=user, query=query).values_list("pk", flat=True))
    assert found == {rows[name] for name in expected}


@pytest.mark.parametrize(("query", "expected"), MEANINGS)
def test_the_api_and_the_assistant_find_what_the_selector_finds(user, auth_client, rows, query, expected):
    response = auth_client.get(TRANSACTIONS, {"search": query, "page_size": 200})
    assert response.status_code == 200, response.json()
    api = {row["id"] for row in response.json()["results"]}

    turn = Turn(user=user, conversation=None, today=user_today(user))
    assistant = {row["id"] for row in search_transactions(turn, text=query, limit=20)["transactions"]}

    assert api == assistant == {rows[name] for name in expected}


def test_a_search_narrows_rows_already_chosen_and_stays_with_their_owner(user, other_user, rows):
    everyone = Transaction.objects.all()
    assert list(transaction_search(user=user, query="lunch", transactions=everyone)) == [
        Transaction.objects.get(pk=rows["lunch"])
    ]
    only_food = Transaction.objects.filter(user=user, category__name="Food")
    found = transaction_search(user=user, query="shop", transactions=only_food)
    assert list(found.values_list("pk", flat=True)) == [rows["shop"]]
