"""The pages in a real browser: Debian's headless Chromium, driven by Playwright, against
a real Daphne process with its own database. Screenshots of the dashboard are saved to
artifacts/screenshots/ for people to look at.

Chromium is the system's (/usr/bin/chromium, `apt-get install chromium`; .ci/run installs
it); Playwright never downloads a browser. Without Chromium these tests fail in CI
(BUDGETPAY_REQUIRE_SERVICES=1) and are skipped elsewhere.
"""

import re
from collections.abc import Iterator

import pytest

from budgetpay.testing.browser import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    CspViolations,
    quick_add,
    sign_in,
    sign_up,
    wait_live,
)
from budgetpay.testing.pages import SIGNED_IN_PAGES, SIGNED_OUT_PAGES
from budgetpay.testing.servers import DaphneServer, site_server

pytestmark = pytest.mark.e2e

# Backoff doubles from 1 s with ±50 % jitter; a restart of a few seconds is over within this.
RECONNECT_MS = 45_000


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[DaphneServer]:
    # A Google app configured (GOOGLE_CLIENT_ID) so the provider sign-in can be followed under the CSP.
    with site_server(
        tmp_path_factory, "browser", GOOGLE_CLIENT_ID="browser-test-client", GOOGLE_CLIENT_SECRET="browser-test-secret"
    ) as server:
        yield server


def badge(page):
    return page.locator("[data-unread-badge]")


def crash(site: DaphneServer) -> None:
    """The server dies at once (a graceful stop would wait for the page's open socket)."""
    site.process.kill()
    site.process.wait(timeout=10)
    site.stop()  # closes its log; start() opens it again on the same port


def add_goal_with_money(page, base: str, *, name: str, target: str, amount: str) -> None:
    """A new goal from its form, then the first money put in from the goal's page."""
    page.goto(f"{base}/goals/new/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Target", exact=True).fill(target)
    page.get_by_role("button", name="Create goal").click()
    page.get_by_role("link", name="Add money").click()
    page.get_by_label("Amount").fill(amount)
    page.get_by_role("button", name="Save").click()


def test_sign_up_then_a_budget_alert_arrives_live_and_is_read_in_another_tab(browser, site, expect, page_errors):
    base = site.url
    context = browser.new_context(viewport=DESKTOP)
    page = page_errors.watch(context.new_page())

    # Sign up lands on the dashboard, with empty states that say what to do.
    sign_up(page, base, email="mia@example.com", name="Mia Wong")
    expect(page.get_by_role("heading", name="Hello, Mia")).to_be_visible()
    expect(page.get_by_role("link", name="Create a budget")).to_be_visible()
    expect(page.get_by_role("link", name="Add your first expense")).to_be_visible()

    # Sign out, then sign in from a page that needs it and come back to that page.
    page.goto(f"{base}/account/profile/")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{base}/budgets/new/")
    page.wait_for_url(f"{base}/accounts/login/?next=/budgets/new/")
    sign_in(page, email="mia@example.com")
    page.wait_for_url(f"{base}/budgets/new/")

    # A missing amount is shown next to the field; what was chosen stays.
    page.get_by_label("Category").select_option(label="Food")
    page.get_by_role("button", name="Create budget").click()
    expect(page.locator(".field.has-error .error")).to_have_text("Enter an amount.")
    assert page.get_by_label("Category").evaluate("select => select.selectedOptions[0].text") == "Food"
    page.get_by_label("Limit").fill("100")
    page.get_by_role("button", name="Create budget").click()
    page.wait_for_url(f"{base}/budgets/")
    expect(page.locator(".messages")).to_contain_text("Budget “Food” created")

    # Two tabs on the dashboard, both live, nothing unread.
    page.goto(f"{base}/")
    wait_live(page)
    second = page_errors.watch(context.new_page())
    second.goto(f"{base}/")
    wait_live(second)
    expect(badge(page)).to_be_hidden()
    expect(badge(second)).to_be_hidden()

    # A wrong amount in the quick form: the error sits next to it, the description stays.
    page.evaluate("window.notReloaded = true")
    quick_add(page, amount="0", category="Food", description="Groceries")
    expect(page.locator("#quick-add .error")).to_contain_text("above zero")
    expect(page.locator("#quick-add").get_by_label("Description")).to_have_value("Groceries")

    # 85 of 100 crosses the 80 % threshold: a toast and the badge, in both tabs, no reload.
    quick_add(page, amount="85", category="Food", description="Groceries")
    expect(page.locator(".toast")).to_contain_text("Food budget at 80 %")
    expect(badge(page)).to_have_text("1")
    expect(second.locator(".toast")).to_contain_text("Food budget at 80 %")
    expect(badge(second)).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator(".messages")).to_contain_text("Expense of $85.00 saved")
    expect(page.locator(".budget.health-warning")).to_contain_text("$85.00")

    # With the keyboard only, mark it read from the bell in the first tab; the second tab's count drops.
    page.locator("[data-bell-summary]").focus()
    page.keyboard.press("Enter")
    item = page.locator("[data-notification-panel] .notification", has_text="Food budget at 80 %")
    expect(item).to_have_class("notification level-warning unread")
    page.keyboard.press("Tab")  # first the link to the budget it is about, then its button
    expect(item.get_by_role("link", name="Food budget at 80 %")).to_be_focused()
    page.keyboard.press("Tab")
    mark_read = item.get_by_role("button", name="Mark “Food budget at 80 %” as read")
    expect(mark_read).to_be_focused()
    page.keyboard.press("Enter")
    expect(badge(second)).to_be_hidden()
    expect(badge(page)).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.locator("details[data-bell]")).not_to_have_attribute("open", "")
    expect(page.locator("[data-bell-summary]")).to_be_focused()

    # After a reload the state is the same: read, nothing unread.
    second.reload()
    wait_live(second)
    expect(badge(second)).to_be_hidden()
    second.locator("[data-bell-summary]").click()
    read_item = second.locator("[data-notification-panel] .notification", has_text="Food budget at 80 %")
    expect(read_item).to_be_visible()
    expect(read_item).not_to_have_class("unread")
    expect(read_item.get_by_role("button", name="Mark")).to_have_count(0)

    # A fuller month for the screenshots: more spending and a goal.
    for amount, category, description in (
        ("42.50", "Travel", "Train tickets"),
        ("31.20", "Shopping", "Books"),
        ("12.80", "Misc", "Coffee beans"),
    ):
        quick_add(page, amount=amount, category=category, description=description)
        expect(page.locator(".messages")).to_contain_text(f"${amount}")
    add_goal_with_money(page, base, name="Emergency fund", target="3000", amount="750")
    expect(page.locator(".messages")).to_contain_text("$750.00 added to “Emergency fund”")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base}/")
    wait_live(page)
    expect(page.locator(".donut")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "dashboard-desktop-1280x800.png"), full_page=True)
    phone_context = browser.new_context(
        viewport=PHONE, storage_state=context.storage_state(), is_mobile=True, has_touch=True
    )
    phone = page_errors.watch(phone_context.new_page())
    phone.goto(f"{base}/")
    wait_live(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "the dashboard scrolls sideways on a phone"
    )
    phone.screenshot(path=str(SCREENSHOTS / "dashboard-phone-390x844.png"), full_page=True)
    phone_context.close()

    # The assistant answers on its page (through the chatbot's REST API).
    page.goto(f"{base}/chat/")
    page.get_by_label("Message").fill("How much did I spend this month?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".bubble.user")).to_contain_text("How much did I spend this month?")
    expect(page.locator(".bubble.assistant:not(.pending)")).to_be_visible()
    assert "/chat/" in page.url

    context.close()
    assert page_errors.errors == []


def test_an_expired_session_leads_to_sign_in_and_back(browser, site, page_errors):
    base = site.url
    context = browser.new_context(viewport=PHONE)
    page = page_errors.watch(context.new_page())
    sign_up(page, base, email="kim@example.com", name="Kim Lee")
    page.goto(f"{base}/transactions/?q=rent")

    context.clear_cookies()  # the session is gone, as after it expired
    page.goto(f"{base}/transactions/new/")
    page.wait_for_url(f"{base}/accounts/login/?next=/transactions/new/")
    sign_in(page, email="kim@example.com")
    page.wait_for_url(f"{base}/transactions/new/")
    assert page.locator("h1").inner_text() == "Add a transaction"
    context.close()
    assert page_errors.errors == []


def test_the_live_connection_resumes_after_a_drop_and_stops_once_signed_out(browser, site, expect, page_errors):
    """The page's socket reconnects with since=<last id seen> after the server went away,
    and gives up (asking to sign in again) when the server closes it with 4001."""
    base = site.url
    context = browser.new_context(viewport=DESKTOP)
    page = page_errors.watch(context.new_page())
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))

    sign_up(page, base, email="lee@example.com", name="Lee Park")
    page.goto(f"{base}/budgets/new/")
    page.get_by_label("Category").select_option(label="Food")
    page.get_by_label("Limit").fill("100")
    page.get_by_role("button", name="Create budget").click()
    page.goto(f"{base}/")
    wait_live(page)
    quick_add(page, amount="85", category="Food", description="Groceries")
    expect(page.locator(".toast")).to_contain_text("Food budget at 80 %")
    last_seen = page.evaluate("document.body.dataset.lastNotificationId")
    assert int(last_seen) > 0

    # The server dies and comes back on the same address: the page retries with growing
    # pauses (no tight loop) and resumes after the last id it saw.
    opened_before = len(sockets)
    crash(site)
    page.wait_for_selector("body[data-live=reconnecting]")
    site.start()
    page.wait_for_selector("body[data-live=open]", timeout=RECONNECT_MS)
    assert len(sockets) - opened_before <= 5
    assert sockets[-1].endswith(f"/api/v1/notification/ws?unread_count=1&since={last_seen}")
    quick_add(page, amount="20", category="Food", description="Bakery")
    expect(page.locator(".toast", has_text="Food budget exceeded")).to_be_visible()
    expect(badge(page)).to_have_text("2")

    # Signed out meanwhile (no session cookie any more): 4001 on reconnect, and no more tries.
    context.clear_cookies()
    crash(site)
    page.wait_for_selector("body[data-live=reconnecting]")
    site.start()
    page.wait_for_selector("body[data-live=signed-out]", timeout=RECONNECT_MS)
    expect(page.locator("#live-status")).to_contain_text("You have been signed out")
    expect(page.locator("#live-status a")).to_have_attribute("href", "/accounts/login/?next=%2F")
    attempts = len(sockets)
    page.wait_for_timeout(2500)
    assert len(sockets) == attempts, "the page kept reconnecting after an authentication close"
    context.close()
    assert page_errors.errors == []


# --- Content-Security-Policy -------------------------------------------------------------------


def make_staff(site: DaphneServer, email: str) -> None:
    site.shell(
        f"from users.models import User; User.objects.filter(email={email!r}).update(is_staff=True, is_superuser=True)"
    )


def test_every_page_works_under_the_content_security_policy_with_no_violation(browser, site, expect, page_errors):
    """The policy is strict (scripts, styles, sockets only from this server; no inline code) and
    every page a signed-in person sees satisfies it: no violation is reported, and the pages still
    work (the bell connects over its socket, the charts and bars draw, the API docs render)."""
    base = site.url
    context = browser.new_context(viewport=DESKTOP)
    violations = CspViolations(context)
    page = violations.watch(page_errors.watch(context.new_page()))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith((base, "data:", site.ws_url)) else None
        ),
    )

    # The listener works: something the policy refuses is reported (then forgotten).
    page.goto(f"{base}/accounts/login/")
    assert "script-src 'self'" in page.evaluate(
        "fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    for _ in range(50):
        if len(violations.seen) == 2:  # the DOM event and the console message
            break
        page.wait_for_timeout(100)
    assert any(seen.startswith("/accounts/login/ style-src-attr") for seen in violations.seen), violations.seen
    assert any("Content Security Policy" in seen for seen in violations.seen), violations.seen
    violations.seen.clear()

    sign_up(page, base, email="csp@example.com", name="Cam Stone")
    wait_live(page)  # the bell's socket is allowed by connect-src
    page.goto(f"{base}/budgets/new/")
    page.get_by_label("Category").select_option(label="Food")
    page.get_by_label("Limit").fill("100")
    page.get_by_role("button", name="Create budget").click()
    page.wait_for_url(f"{base}/budgets/")
    page.goto(f"{base}/")
    wait_live(page)
    quick_add(page, amount="85", category="Food", description="Groceries")
    expect(page.locator(".toast")).to_contain_text("Food budget at 80 %")
    expect(page.locator(".messages")).to_contain_text("$85.00")
    quick_add(page, amount="30", category="Travel", description="Train")
    expect(page.locator(".messages")).to_contain_text("$30.00")
    add_goal_with_money(page, base, name="Bike", target="400", amount="100")
    expect(page.locator(".messages")).to_contain_text("$100.00 added")

    # The dashboard draws with attributes only: the donut's legend colours, the budget bar at 85 %,
    # the daily line with its axis labels.
    page.goto(f"{base}/")
    wait_live(page)
    expect(page.locator(".donut")).to_be_visible()
    expect(page.locator(".legend .swatch rect").first).to_have_attribute("fill", re.compile(r"^#[0-9a-f]{6}$", re.I))
    expect(page.locator(".plot .line")).to_be_visible()
    expect(page.locator(".plot-labels .y-label").first).to_be_visible()
    expect(page.locator(".plot-labels .x-label").first).to_be_visible()
    bar = page.locator(".budget .bar").first
    filled = bar.locator("rect").bounding_box()["width"] / bar.bounding_box()["width"]
    assert 0.8 < filled < 0.9, filled
    page.locator("[data-bell-summary]").click()
    expect(page.locator("[data-notification-panel] .notification").first).to_be_visible()

    for path in [*SIGNED_IN_PAGES, "/no-such-page/"]:
        page.goto(f"{base}{path}")
        expect(page.locator("h1").first).to_be_visible()
        wait_live(page)
    page.goto(f"{base}/transactions/")
    page.get_by_role("link", name="Groceries").first.click()
    expect(page.get_by_label("Amount")).to_have_value("85.00")

    # The assistant answers (its script posts to the API: connect-src 'self').
    page.goto(f"{base}/chat/")
    page.get_by_label("Message").fill("How much did I spend this month?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".bubble.assistant:not(.pending)")).to_be_visible()

    # The API docs: Swagger UI from our own static files, its start-up script from ?script.
    page.goto(f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Budget Pay API")
    expect(page.locator(".opblock").first).to_be_visible()

    # The admin, for staff.
    make_staff(site, "csp@example.com")
    for path in (
        "/admin/",
        "/admin/transactions/transaction/",
        "/admin/transactions/category/add/",
        "/admin/notifications/notification/broadcast/",
    ):
        page.goto(f"{base}{path}")
        expect(page.locator("#content h1, #content h2").first).to_be_visible()
    page.goto(f"{base}/admin/transactions/category/")
    page.locator("#result_list tbody a").first.click()
    expect(page.locator("input[name=_save]")).to_be_visible()

    # Signed out: the sign-in, sign-up and password reset pages, then the Google sign-in: a POST to
    # us redirected to Google, which form-action must allow (Google is stood in for by the test).
    page.goto(f"{base}/account/profile/")
    page.get_by_role("button", name="Sign out").click()
    for path in SIGNED_OUT_PAGES:
        page.goto(f"{base}{path}")
        expect(page.locator("h1").first).to_be_visible()
    page.route(
        "https://accounts.google.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Google</h1>"),
    )
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Continue with Google").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("https://accounts.google.com/**")
    assert "client_id=browser-test-client" in page.url

    context.close()
    assert violations.seen == []
    assert page_errors.errors == []
    assert [url for url in outside if not url.startswith("https://accounts.google.com/")] == []
