"""Account balances, summed in the database, equal an independent sum in Python."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transactions import selectors, services
from transactions.models import Account, Transaction
from users.models import User

pytestmark = pytest.mark.django_db

emails = (f"balance-{n}@example.com" for n in itertools.count())

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)
movements = st.lists(
    st.tuples(st.sampled_from(list(Transaction.Kind)), st.integers(0, 2), st.integers(0, 2), amounts),
    max_size=25,
)
openings = st.lists(
    st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2), min_size=3, max_size=3
)


def expected_balances(openings: list[Decimal], moves: list[tuple[str, int, int, Decimal]]) -> list[Decimal]:
    balances = list(openings)
    for kind, source, target, amount in moves:
        if kind == Transaction.Kind.INCOME:
            balances[source] += amount
        elif kind == Transaction.Kind.EXPENSE:
            balances[source] -= amount
        else:
            balances[source] -= amount
            balances[target] += amount
    return balances


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(openings=openings, moves=movements)
def test_balance_is_opening_plus_income_minus_expenses_and_net_transfers(db, openings, moves):
    user = User.objects.create_user(email=next(emails), password=None)
    accounts = [
        services.account_create(user=user, name=f"Account {i}", opening_balance=opening)
        for i, opening in enumerate(openings)
    ]
    recorded = []
    for kind, source, target, amount in moves:
        if kind == Transaction.Kind.TRANSFER and source == target:
            target = (source + 1) % 3
        services.transaction_create(
            user=user,
            account=accounts[source],
            kind=kind,
            amount=amount,
            date=date(2026, 1, 1),
            transfer_account=accounts[target] if kind == Transaction.Kind.TRANSFER else None,
        )
        recorded.append((kind, source, target, amount))

    balances = dict(selectors.account_list(user=user).values_list("pk", "balance"))
    assert [balances[account.pk] for account in accounts] == expected_balances(openings, recorded)
    # The default "Main account" has no movements: its balance is exactly zero, not NULL.
    default = Account.objects.get(user=user, name=services.DEFAULT_ACCOUNT_NAME)
    assert balances[default.pk] == Decimal("0.00")
