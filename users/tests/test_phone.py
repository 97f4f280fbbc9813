"""Every page a person uses, on a phone (390×844) and a desktop (1280×800), in a real Chromium
against a real Daphne: no sideways scrolling (also with long payees and seven-digit amounts),
tap targets of at least 44 px, no serious or critical axe-core violations, no CSP violation;
the menu, the assistant's conversation list, toasts that keep off the primary actions, and
notifications that link to what they are about.

axe-core comes from the npm registry: `make test` installs it once into .venv/node
(see the Makefile); Chromium is the system's, as in test_browser.py.
"""

import json
from pathlib import Path

import pytest

from budgetpay.testing.browser import (
    DESKTOP,
    PASSWORD,
    PHONE,
    SCREENSHOTS,
    TIMEOUT_MS,
    CspViolations,
    PageErrors,
    quick_add,
    sign_in,
    wait_live,
)
from budgetpay.testing.pages import SIGNED_IN_PAGES, SIGNED_OUT_PAGES, row_pages
from budgetpay.testing.servers import ROOT
from budgetpay.testing.services import service_unavailable

pytestmark = pytest.mark.e2e

AXE = Path(ROOT) / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
EMAIL = "phone@example.com"
MIN_TAP = 44
# A payee with no place to break a line, and amounts with seven digits before the point.
LONG_PAYEE = "Supercalifragilisticexpialidociouswholesalegrocersinternational"
LONG_NAME = "Everyday current account at the Cooperative Bank of Northern Scotland"

# Buttons, and links in navigation and lists: what a thumb has to hit (links inside running
# text are exempt, as in WCAG's target-size rule).
TAP_TARGETS = (
    "header a:not(.skip), header button, header summary, nav a, nav button, li a, li button, li summary, "
    "td a, td button, main button, main .button, main summary, .card-head a, .toast a, .toast button"
)

# The page's width and its tap targets, measured in the page. For a page that scrolls sideways it
# names the culprits: elements past the right edge, and elements whose content spills out of them.
MEASURE = """
(selector) => {
  const width = document.documentElement.clientWidth;
  const name = (node) => node.tagName.toLowerCase() + (typeof node.className === "string" && node.className ? "." + node.className.trim().split(/\\s+/).join(".") : "");
  const wide = [];
  for (const node of document.querySelectorAll("body *")) {
    if (node.closest(".skip, .sr-only, details:not([open])")) continue;
    const box = node.getBoundingClientRect();
    if (box.width && box.right > width + 0.5) wide.push(name(node) + " ends at " + Math.round(box.right));
    else if (node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflowX === "visible") wide.push(name(node) + " spills " + node.scrollWidth + " > " + node.clientWidth);
  }
  const small = [];
  for (const node of document.querySelectorAll(selector)) {
    const box = node.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(node).visibility === "hidden" || node.closest("[hidden], .sr-only, details:not([open]) > :not(summary)")) continue;
    if (box.width < %(min)d - 0.5 || box.height < %(min)d - 0.5) {
      small.push((node.getAttribute("aria-label") || node.textContent.trim().slice(0, 30)) + " " + Math.round(box.width) + "x" + Math.round(box.height));
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 8), small: small };
}
""" % {"min": MIN_TAP}  # noqa: UP031 (JavaScript full of braces: %-format, not str.format)

AXE_RUN = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => violation.id + ": " + violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(" | "));
}
"""

# The person's data, written through the services (so the notification rules run as in live use).
SEED = """
import json
from datetime import timedelta
from decimal import Decimal

from budgets.services import budget_create
from budgetpay.periods import user_today
from chatbot.services import conversation_create
from goals.services import goal_create, goal_entry_create
from notifications.models import Notification
from transactions.models import Account, Category, Transaction
from transactions.services import account_create, account_update, transaction_create
from users.services import user_register

user = user_register(email=%(email)r, password=%(password)r, full_name="Pat Phone")
today = user_today(user)
bank = Account.objects.get(user=user)
account_update(account=bank, name=%(long_name)r)
savings = account_create(user=user, name="Savings", opening_balance=Decimal("2500000.00"))
food = Category.objects.get(user=user, name="Food")
budget = budget_create(user=user, amount=Decimal("1500000.00"), category=food)
# One small budget for each screen's toast test to push past its first threshold.
small_budgets = {name: budget_create(user=user, amount=Decimal("100.00"), category=Category.objects.get(user=user, name=name)).pk
                 for name in ("Travel", "Shopping")}
spent = transaction_create(user=user, account=bank, amount=Decimal("1234567.89"), category=food, payee=%(payee)r, date=today)
transfer = transaction_create(user=user, account=bank, kind=Transaction.Kind.TRANSFER, transfer_account=savings, amount=Decimal("1000000.00"), date=today)
for day in range(1, 30):
    transaction_create(user=user, account=bank, amount=Decimal("12.50"), category=food, description=f"Lunch {day}", date=today - timedelta(days=day))
goal = goal_create(user=user, name="Round-the-world trip with the whole family", target_amount=Decimal("9000000.00"))
goal_entry_create(goal=goal, amount=Decimal("4600000.00"))
for number in range(12):
    conversation_create(user=user, title=f"Question number {number} about my spending this month")
print(json.dumps({
    "budget": budget.pk, "small_budgets": small_budgets, "goal": goal.pk, "transaction": spent.pk, "transfer": transfer.pk, "account": bank.pk,
    "category": food.pk, "notifications": {n.related_type: n.pk for n in Notification.objects.filter(user=user)},
}))
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        service_unavailable(f"axe-core is not installed at {AXE} (make test installs it from npm)")
    return AXE.read_text()


@pytest.fixture(scope="module")
def person(browser, site) -> dict:
    """A person with long names, seven-digit amounts, a transfer, a budget alert, a goal
    milestone and a dozen conversations; their signed-in browser state."""
    printed = site.shell(SEED % {"email": EMAIL, "password": PASSWORD, "long_name": LONG_NAME, "payee": LONG_PAYEE})
    ids = json.loads(printed.strip().splitlines()[-1])
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{site.url}/accounts/login/")
    sign_in(page, email=EMAIL)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    ids["state"] = context.storage_state()
    context.close()
    return ids


def checked_context(browser, viewport, axe_source: str, **options):
    context = browser.new_context(viewport=viewport, **options)
    context.add_init_script(axe_source)
    return context


def check_page(page, problems: list[str], label: str) -> None:
    """What a person on this page would hit: sideways scrolling, small targets, axe violations."""
    measured = page.evaluate(MEASURE, TAP_TARGETS)
    width = page.viewport_size["width"]
    if measured["scrollWidth"] > width:
        problems.append(f"{label}: scrolls sideways ({measured['scrollWidth']} > {width}): {measured['wide']}")
    if measured["small"]:
        problems.append(f"{label}: targets under {MIN_TAP} px: {measured['small']}")
    violations = page.evaluate(AXE_RUN)
    if violations:
        problems.append(f"{label}: axe: {violations}")


def signed_in_pages(ids: dict) -> list[str]:
    return [
        *SIGNED_IN_PAGES,
        "/transactions/?q=" + LONG_PAYEE[:10],
        "/account/check-settings/",
        *row_pages(
            transaction=ids["transaction"],
            account=ids["account"],
            category=ids["category"],
            budget=ids["budget"],
            goal=ids["goal"],
        ),
        f"/transactions/{ids['transfer']}/edit/",
    ]


# Saved to artifacts/screenshots/ for people to look at (as test_browser.py does for the dashboard).
SCREENSHOT_PAGES = {"/transactions/": "transactions", "/chat/": "assistant", "/notifications/": "notifications"}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_fits_the_screen_with_big_targets_and_no_serious_axe_violation(
    browser, site, person, axe_source, page_errors, viewport
):
    base = site.url
    phone = viewport == PHONE
    context = checked_context(
        browser, viewport, axe_source, storage_state=person["state"], is_mobile=phone, has_touch=phone
    )
    violations = CspViolations(context)
    page = violations.watch(page_errors.watch(context.new_page()))
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path in signed_in_pages(person):
        page.goto(f"{base}{path}")
        wait_live(page)
        check_page(page, problems, path)
        if path in SCREENSHOT_PAGES:
            name = SCREENSHOT_PAGES[path]
            page.screenshot(
                path=str(
                    SCREENSHOTS
                    / f"{name}-{'phone' if phone else 'desktop'}-{viewport['width']}x{viewport['height']}.png"
                ),
                full_page=True,
            )

    # The bell's list open, and the import's report with a long description.
    page.goto(f"{base}/")
    wait_live(page)
    page.locator("[data-bell-summary]").click()
    check_page(page, problems, "/ with the bell open")
    page.goto(f"{base}/transactions/import/")
    csv = f"Date,Description,Amount\n2026-01-05,{LONG_PAYEE},-1234567.89\n2026-01-06,Salary,2500000.00\n"
    page.get_by_label("Statement (CSV)").set_input_files(
        files=[{"name": "bank.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_label("Only check").check()
    page.get_by_role("button", name="Import").click()
    page.get_by_role("heading", name="Checked: nothing was imported").wait_for()
    check_page(page, problems, "/transactions/import/ report")

    context.close()

    context = checked_context(browser, viewport, axe_source, is_mobile=phone, has_touch=phone)
    signed_out_violations = CspViolations(context)
    page = signed_out_violations.watch(page_errors.watch(context.new_page()))
    for path in SIGNED_OUT_PAGES:
        page.goto(f"{base}{path}")
        check_page(page, problems, path)
    context.close()
    assert problems == [], "\n".join(problems)
    assert violations.seen + signed_out_violations.seen == []
    assert page_errors.errors == []


def signed_in(browser, person, viewport, **options):
    phone = viewport == PHONE
    return browser.new_context(
        viewport=viewport, storage_state=person["state"], is_mobile=phone, has_touch=phone, **options
    )


def signed_in_page(browser, person, viewport, errors: PageErrors, url: str, **options):
    """A page of a new signed-in context at `url`, its JavaScript errors watched; close page.context after."""
    page = errors.watch(signed_in(browser, person, viewport, **options).new_page())
    page.goto(url)
    return page


SECTIONS = [
    ("Dashboard", "/"),
    ("Transactions", "/transactions/"),
    ("Accounts", "/ledger/"),
    ("Budgets", "/budgets/"),
    ("Goals", "/goals/"),
    ("Assistant", "/chat/"),
]


def test_the_phone_menu_opens_with_aria_expanded_and_reaches_every_section_in_one_tap(
    browser, site, person, expect, page_errors
):
    base = site.url
    page = signed_in_page(browser, person, PHONE, page_errors, f"{base}/")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "main-nav")
    expect(nav.get_by_role("link", name="Budgets")).to_be_hidden()

    # Each section: open the menu, one tap on the link; the page says where you are.
    for label, path in SECTIONS:
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        link = nav.get_by_role("link", name=label, exact=True)
        if label == "Dashboard":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "menu-phone-390x844.png"))
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= MIN_TAP, (label, box)
        link.tap()
        page.wait_for_url(f"{base}{path}")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#main-nav a[aria-current=page]")).to_have_text(label)

    # With the keyboard: Enter opens it, Tab goes into it, Escape closes it and returns to the button.
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(nav.get_by_role("link", name="Dashboard")).to_be_hidden()
    # A tap elsewhere closes it too.
    menu.click()
    page.locator("h1").first.click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    page.context.close()

    # Without JavaScript there is no menu button: the links wrap under the brand, all on screen.
    page = signed_in_page(browser, person, PHONE, page_errors, f"{base}/budgets/", java_script_enabled=False)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for label, _path in SECTIONS:
        box = page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= MIN_TAP, (label, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()

    # On a desktop every section is in the bar itself; there is no menu button.
    page = signed_in_page(browser, person, DESKTOP, page_errors, f"{base}/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for label, _path in SECTIONS:
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True)).to_be_visible()
    page.context.close()
    assert page_errors.errors == []


def test_the_phone_transaction_cards_name_transfers_and_keep_edit_in_reach(browser, site, person, expect, page_errors):
    page = signed_in_page(browser, person, PHONE, page_errors, f"{site.url}/transactions/")
    transfer = page.locator("tbody tr", has=page.locator(f'a[href="/transactions/{person["transfer"]}/edit/"]'))
    expect(transfer).to_contain_text("Transfer to Savings")
    assert "Uncategorised" not in transfer.inner_text()
    card = page.locator("tbody tr", has_text=LONG_PAYEE)
    expect(card).to_contain_text("$1,234,567.89")
    edit = card.get_by_role("link", name="Edit")
    box = edit.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    edit.tap()
    page.wait_for_url(f"{site.url}/transactions/{person['transaction']}/edit/")
    page.context.close()
    assert page_errors.errors == []


def test_the_conversation_list_is_reachable_on_a_phone(browser, site, person, expect, page_errors):
    page = signed_in_page(browser, person, PHONE, page_errors, f"{site.url}/chat/")
    conversations = page.get_by_role("navigation", name="Conversations")
    first = conversations.get_by_role("link", name="Question number 11 about my spending this month")
    expect(first).to_be_visible()
    assert first.bounding_box()["height"] >= MIN_TAP
    # The oldest is further down the list, which scrolls on its own.
    oldest = conversations.get_by_role("link", name="Question number 0 about my spending this month")
    oldest.scroll_into_view_if_needed()
    expect(oldest).to_be_visible()
    oldest.tap()
    page.wait_for_url(f"{site.url}/chat/*/")
    expect(page.get_by_role("heading", name="Question number 0 about my spending this month")).to_be_visible()
    expect(conversations.get_by_role("link", name="Question number 0 about my spending this month")).to_have_attribute(
        "aria-current", "page"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()
    assert page_errors.errors == []


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.parametrize(("viewport", "category"), [(PHONE, "Travel"), (DESKTOP, "Shopping")], ids=["phone", "desktop"])
def test_a_toast_keeps_off_the_add_expense_buttons_and_links_to_its_budget(
    browser, site, person, expect, page_errors, viewport, category
):
    base = site.url
    context = signed_in(browser, person, viewport)
    violations = CspViolations(context)
    page = violations.watch(page_errors.watch(context.new_page()))
    page.goto(f"{base}/")
    wait_live(page)
    quick_add(page, amount="85", category=category, description="Tickets")
    toast = page.locator(".toast", has_text=f"{category} budget")
    expect(toast).to_be_visible()
    budget_url = f"/budgets/{person['small_budgets'][category]}/edit/"
    link = toast.get_by_role("link", name=f"{category} budget")
    expect(link).to_have_attribute("href", budget_url)
    link.focus()  # keeps the toast on screen while the page is scrolled under it

    # Wherever the page is scrolled, the toast is not over either "Add expense" button.
    buttons = [
        page.locator(".page-head").get_by_role("link", name="Add expense"),
        page.locator("#quick-add").get_by_role("button", name="Add expense"),
    ]
    for button in buttons:
        for block in ("start", "center", "end"):
            button.evaluate("(node, block) => node.scrollIntoView({ block })", block)
            page.wait_for_timeout(100)  # the stack moves on the next animation frame
            for other in buttons:
                box, toast_box = other.bounding_box(), toast.bounding_box()
                assert not overlap(box, toast_box), (block, other, box, toast_box)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"toast-{category.lower()}-{viewport['width']}x{viewport['height']}.png"))
    # The toast's link leads to the budget.
    link.click()
    page.wait_for_url(f"{base}{budget_url}")
    context.close()
    assert violations.seen == []
    assert page_errors.errors == []


def test_notifications_in_the_list_and_the_bell_link_to_what_they_are_about(browser, site, person, expect, page_errors):
    base = site.url
    page = signed_in_page(browser, person, PHONE, page_errors, f"{base}/notifications/")
    budget_alert = page.locator("main .notification", has_text="Food budget").first
    expect(budget_alert.get_by_role("link").first).to_have_attribute("href", f"/budgets/{person['budget']}/edit/")
    milestone = page.locator("main .notification", has_text="Round-the-world trip").first
    expect(milestone.get_by_role("link").first).to_have_attribute("href", f"/goals/{person['goal']}/money/")
    milestone.get_by_role("link").first.tap()
    page.wait_for_url(f"{base}/goals/{person['goal']}/money/")

    page.locator("[data-bell-summary]").tap()
    bell_item = page.locator("[data-notification-panel] .notification", has_text="Food budget").first
    expect(bell_item.get_by_role("link").first).to_have_attribute("href", f"/budgets/{person['budget']}/edit/")
    bell_item.get_by_role("link").first.tap()
    page.wait_for_url(f"{base}/budgets/{person['budget']}/edit/")
    page.context.close()
    assert page_errors.errors == []
