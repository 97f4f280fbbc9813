"""The services called directly, for the rules that do not depend on HTTP."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.db.models.signals import post_save

from budgetpay.testing.factories import make_account, make_category, make_transaction
from transactions import imports, services
from transactions.models import Account, Category, Transaction

pytestmark = pytest.mark.django_db

STATEMENT = b"Date,Description,Amount\n2026-01-01,A,-1.00\n2026-01-02,B,-2.00\n2026-01-03,C,-3.00\n"


def test_the_transaction_belongs_to_the_accounts_user(user, main_account):
    tx = services.transaction_create(user=user, account=main_account, amount=Decimal("1.00"), date=date(2026, 1, 1))
    assert tx.user == main_account.user == user


def test_an_account_of_someone_else_is_refused(user, other_user):
    theirs = Account.objects.get(user=other_user)
    with pytest.raises(ValidationError) as error:
        services.transaction_create(user=user, account=theirs, amount=Decimal("1.00"))
    assert list(error.value.message_dict) == ["account"]
    with pytest.raises(ValidationError):
        imports.transactions_import(user=user, account=theirs, content=STATEMENT)
    assert not Transaction.objects.exists()


def test_a_category_of_someone_else_is_refused(user, other_user, main_account):
    theirs = Category.objects.get(user=other_user, name="Food")
    with pytest.raises(ValidationError) as error:
        services.transaction_create(user=user, account=main_account, amount=Decimal("1.00"), category=theirs)
    assert list(error.value.message_dict) == ["category"]


def test_an_update_is_checked_like_a_new_transaction(user, main_account, food):
    savings = make_account(user, name="Savings", currency="EUR")
    tx = make_transaction(main_account, amount="4.00", category=food)
    with pytest.raises(ValidationError) as error:
        services.transaction_update(
            transaction=tx, kind=Transaction.Kind.TRANSFER, category=None, transfer_account=savings
        )
    assert list(error.value.message_dict) == ["transfer_account"]
    with pytest.raises(TypeError):
        services.transaction_update(transaction=tx, user=user)
    tx.refresh_from_db()
    assert (tx.kind, tx.transfer_account) == (Transaction.Kind.EXPENSE, None)


def test_deleting_a_category_keeps_the_transactions(user, main_account):
    pets = services.category_create(user=user, name="Pets")
    tx = make_transaction(main_account, amount="20.00", category=pets)
    services.category_delete(category=pets)
    tx.refresh_from_db()
    assert tx.category is None


def test_the_income_share_check_counts_only_the_users_own_categories(user, other_user):
    make_category(other_user, name="Food", income_percentage=Decimal("0"))
    make_category(user, name="Housing", income_percentage=Decimal("55"))  # with the defaults, 95%
    pets = services.category_create(user=user, name="Pets", income_percentage=Decimal("5"))
    assert pets.income_percentage == Decimal("5")
    with pytest.raises(ValidationError) as error:
        services.category_update(category=pets, income_percentage=Decimal("5.01"))
    assert "plan 95% of income; this one can have at most 5%" in error.value.message_dict["income_percentage"][0]


def test_import_hashes_tell_identical_rows_apart_only_by_their_order(user, main_account):
    content = b"Date,Description,Amount\n2026-01-01,Tea,-1.00\n2026-01-01,  tea ,-1.00\n"
    report = imports.transactions_import(user=user, account=main_account, content=content)
    hashes = list(Transaction.objects.order_by("id").values_list("import_hash", flat=True))
    assert report.created == 2
    assert len(set(hashes)) == 2 and all(len(h) == 64 for h in hashes)
    other = make_account(user, name="Other")
    imports.transactions_import(user=user, account=other, content=content)
    assert not set(hashes) & set(Transaction.objects.filter(account=other).values_list("import_hash", flat=True))


def test_an_import_whose_insert_fails_writes_nothing(user, main_account, monkeypatch):
    """If the database refuses part of the insert (another import of the same rows won a
    race), the rows already sent are rolled back too."""
    real_bulk_create = QuerySet.bulk_create

    def fail_after_the_first_row(self, objs, *args, **kwargs):
        real_bulk_create(self, objs[:1], *args, **kwargs)
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(QuerySet, "bulk_create", fail_after_the_first_row)
    with pytest.raises(ValidationError) as error:
        imports.transactions_import(user=user, account=main_account, content=STATEMENT)
    assert "nothing was imported" in error.value.message_dict["file"][0]
    assert not Transaction.objects.exists()


def test_imported_rows_send_no_post_save(user, main_account):
    saved = []

    def record(sender, instance, **kwargs):
        saved.append(instance)

    post_save.connect(record, sender=Transaction)
    try:
        report = imports.transactions_import(user=user, account=main_account, content=STATEMENT)
    finally:
        post_save.disconnect(record, sender=Transaction)
    assert report.created == 3
    assert saved == []
