"""A real browser for the page tests: Debian's Chromium driven by Playwright (no
`playwright install`), the viewports and password they use, and what a page test does and
watches on a page (sign up, sign in, the live bell, the quick-add form; JavaScript errors and
Content-Security-Policy violations)."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from budgetpay.testing.servers import ROOT
from budgetpay.testing.services import service_unavailable

CHROMIUM = os.environ.get("BUDGETPAY_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flag Chromium reaches for Google's hosts at start, which
# this machine's closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "browser-test-password-93"
TIMEOUT_MS = 15_000

# Registered before any script of each page runs; reports every violation to the test at once,
# so none is lost when the page navigates away.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportCspViolation([location.pathname, event.effectiveDirective, event.blockedURI,
                             (event.sourceFile || "") + ":" + event.lineNumber].join(" "));
});
"""


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


class PageErrors:
    """JavaScript errors a page raised; a test ends by asserting there were none."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page):
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page


class CspViolations:
    """Every CSP violation in a browser context: the DOM event and Chromium's console message."""

    def __init__(self, context) -> None:
        self.seen: list[str] = []
        context.expose_function("reportCspViolation", lambda violation: self.seen.append(violation))
        context.add_init_script(CSP_LISTENER)

    def watch(self, page):
        page.on(
            "console",
            lambda message: self.seen.append(message.text) if "Content Security Policy" in message.text else None,
        )
        return page


def sign_up(page, base: str, *, email: str, name: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    send_sign_up(page, base, email=email, name=name)


def send_sign_up(page, base: str, *, email: str, name: str) -> None:
    """Fill in the sign-up form on the page (what it offers for currency and time zone stays) and
    send it; it lands on the dashboard."""
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"{base}/")


def sign_in(page, *, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def wait_live(page) -> None:
    page.wait_for_selector("body[data-live=open]")


def quick_add(page, *, amount: str, category: str, description: str) -> None:
    form = page.locator("#quick-add form")
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Category").select_option(label=category)
    form.get_by_label("Description").fill(description)
    # app.js swaps in the answered page (#main) and moves the focus into the form: wait for the
    # swap, or what a test looks at next (a toast, a button) may be replaced or lose focus under it.
    page.evaluate("() => { document.querySelector('#main > *').dataset.beforeQuickAdd = '1'; }")
    form.get_by_role("button", name="Add expense").click()
    page.wait_for_function("() => !document.querySelector('#main [data-before-quick-add]')")
