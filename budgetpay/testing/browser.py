"""A real browser for the page tests: Debian's Chromium driven by Playwright (no
`playwright install`)."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from budgetpay.testing.services import service_unavailable

CHROMIUM = os.environ.get("BUDGETPAY_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flag Chromium reaches for Google's hosts at start, which
# this machine's closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def chromium() -> Iterator[object]:
    """A launched headless Chromium (a Playwright Browser); not-run when either is missing."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        service_unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
