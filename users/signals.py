"""Signals the users app sends for other parts of the product to act on."""

from django.dispatch import Signal

# Sent after the commit that changed a person's password (any path: API, pages, reset
# link, admin, manage.py changepassword) or made it unusable. Arguments: `user`, and
# `changed_at` (aware datetime). Receivers close what was authenticated before it.
credentials_changed = Signal()

# Sent inside the transaction that revoked a sign-in's refresh tokens because one of them
# was presented again after its rotation (it was copied). Arguments: `user`, `family`
# (the sign-in's id), `revoked` (how many tokens were still live). Receivers tell the person.
refresh_token_reused = Signal()
