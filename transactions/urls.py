"""The ledger's pages (the API is in api_urls.py)."""

from django.urls import path

from transactions import pages

app_name = "transactions"

urlpatterns = [
    path("transactions/", pages.transaction_list_page, name="list"),
    path("transactions/import/", pages.transaction_import_page, name="import"),
    *pages.TRANSACTION_PAGES.paths("transactions/"),
    path("ledger/", pages.account_list_page, name="accounts"),
    *pages.ACCOUNT_PAGES.paths("ledger/accounts/", name="account"),
    *pages.CATEGORY_PAGES.paths("ledger/categories/", name="category"),
]
