"""The site's pages by path, for the tests that open every one: sign-in and back
(users/tests/test_pages.py), the headers and markup over HTTP (budgetpay/tests/test_headers.py),
and the browser on a desktop and a phone (users/tests/test_browser.py, test_phone.py). A new
page is added here once and each of them opens it."""

# What a signed-in person opens from the navigation and the forms' links, naming no row.
SIGNED_IN_PAGES = [
    "/",
    "/transactions/",
    "/transactions/new/",
    "/transactions/import/",
    "/ledger/",
    "/ledger/accounts/new/",
    "/ledger/categories/new/",
    "/budgets/",
    "/budgets/new/",
    "/goals/",
    "/goals/new/",
    "/notifications/",
    "/chat/",
    "/account/profile/",
    "/account/notifications/",
    "/account/api/",
    "/accounts/password/change/",
    "/accounts/email/",
    "/accounts/3rdparty/",
]

SIGNED_OUT_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


def row_pages(*, transaction: int, account: int, category: int, budget: int, goal: int) -> list[str]:
    """The pages of one row each (ids): its edit form, a transaction's delete confirmation, a goal's money."""
    return [
        f"/transactions/{transaction}/edit/",
        f"/transactions/{transaction}/delete/",
        f"/ledger/accounts/{account}/edit/",
        f"/ledger/categories/{category}/edit/",
        f"/budgets/{budget}/edit/",
        f"/goals/{goal}/edit/",
        f"/goals/{goal}/money/",
    ]
