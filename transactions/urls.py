"""The ledger's pages (the API is in api_urls.py)."""

from django.urls import path

from transactions import pages

app_name = "transactions"

urlpatterns = [
    path("transactions/", pages.transaction_list_page, name="list"),
    path("transactions/new/", pages.transaction_create_page, name="create"),
    path("transactions/import/", pages.transaction_import_page, name="import"),
    path("transactions/<int:pk>/edit/", pages.transaction_edit_page, name="edit"),
    path("transactions/<int:pk>/delete/", pages.transaction_delete_page, name="delete"),
    path("ledger/", pages.account_list_page, name="accounts"),
    path("ledger/accounts/new/", pages.account_create_page, name="account-create"),
    path("ledger/accounts/<int:pk>/edit/", pages.account_edit_page, name="account-edit"),
    path("ledger/accounts/<int:pk>/delete/", pages.account_delete_page, name="account-delete"),
    path("ledger/categories/new/", pages.category_create_page, name="category-create"),
    path("ledger/categories/<int:pk>/edit/", pages.category_edit_page, name="category-edit"),
    path("ledger/categories/<int:pk>/delete/", pages.category_delete_page, name="category-delete"),
]
