"""Settings of the real Daphne the browser test starts: the site's own, with the URLs of
compat_urls (the compatibility API mounted). Whether the API answers is still the
environment's COMPAT_ORIGINAL_API."""

from budgetpay.settings import *  # noqa: F403

ROOT_URLCONF = "budgetpay.compat.tests.compat_urls"
