"""The compatibility API: the original Budget Pay's web client (mayank-9031/Budget-pay-UI)
against Budget Pay, in the original API's shapes, under /compat/v0/ (docs/compat.md).

Off unless COMPAT_ORIGINAL_API is true (`gate`). Its conventions stay inside this package:
`{"detail": ...}` errors with FastAPI's status codes (`errors`), plain bounded arrays, floats
at the edge and the original field names (`shapes`), its own access tokens (`auth`). The
views are thin: every write goes through the apps' services, so ownership, budgets,
notifications, throttles and the Decimal rules are the ones the rest of Budget Pay keeps.

    gate        the on/off switch (a middleware), before anything else sees the request
    api         the base view: authentication, parsing, errors, no-store, body size
    errors      the original's error shapes
    auth        the client's access tokens: issued at sign-in, revoked at sign-out
    accounts    email verification and password reset, through allauth
    shapes      request parsing and response shapes, field by field
    selectors   what the client sees of a person's ledger
    services    the writes the apps have no service for yet
    auth_views  sign-in, sign-out, registration, email verification, password reset
    views       the person, categories, transactions, the assistant
    urls        the original's paths (mounted at compat/v0/ by budgetpay/urls.py)

It sits at the top of the layer contract (.importlinter): it may import any app, and no app
imports it.
"""
