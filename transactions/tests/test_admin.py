import pytest

from budgetpay.testing.factories import make_account, make_transaction
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfer(user, main_account, food):
    make_transaction(main_account, amount="4.00", category=food, description="Bagel", payee="Corner shop")
    return make_transaction(
        main_account, amount="9.00", kind="transfer", transfer_account=make_account(user, name="Savings")
    )


@pytest.mark.parametrize("model", ["account", "category", "transaction"])
def test_staff_can_list_search_and_open_each_model(admin_client, transfer, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        listing = admin_client.get(f"/admin/transactions/{model}/", {"q": "ada"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count > 0
    row = listing.context["cl"].result_list[0]
    assert admin_client.get(f"/admin/transactions/{model}/{row.pk}/change/").status_code == 200


def test_transactions_are_found_by_payee_and_filtered_by_kind(admin_client, transfer):
    found = admin_client.get("/admin/transactions/transaction/", {"q": "corner"}).context["cl"].result_list
    assert [tx.description for tx in found] == ["Bagel"]
    transfers = (
        admin_client.get("/admin/transactions/transaction/", {"kind__exact": "transfer"}).context["cl"].result_list
    )
    assert list(transfers) == [transfer]


def test_foreign_keys_use_autocomplete(admin_client, transfer):
    page = admin_client.get(f"/admin/transactions/transaction/{transfer.pk}/change/").content.decode()
    for field in ("user", "account", "category", "transfer_account"):
        assert f'id="id_{field}"' in page
    assert page.count("admin-autocomplete") >= 4
    assert Transaction.objects.count() == 2
