"""Sign-up in a real browser set to German in Berlin: the currency of its region is
preselected and signup.js puts its time zone in the form, under the pages' CSP with no
violation; the once-only check offers the browser's zone in place of UTC. Chromium and
Playwright as in test_browser.py."""

import pytest

from budgetpay.testing.browser import DESKTOP, PASSWORD, CspViolations, PageErrors, send_sign_up, sign_in

pytestmark = pytest.mark.e2e

NBSP = "\u00a0"


def german_browser_in_berlin(browser, errors: PageErrors):
    context = browser.new_context(viewport=DESKTOP, locale="de-DE", timezone_id="Europe/Berlin")
    violations = CspViolations(context)
    return context, violations, violations.watch(errors.watch(context.new_page()))


def test_sign_up_prefills_the_browsers_currency_and_time_zone_and_saves_them(browser, site, expect, page_errors):
    context, violations, page = german_browser_in_berlin(browser, page_errors)
    page.goto(f"{site.url}/accounts/signup/")
    expect(page.get_by_label("Currency")).to_have_value("EUR")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    send_sign_up(page, site.url, email="lena@example.com", name="Lena Vogel")

    page.goto(f"{site.url}/account/profile/")
    expect(page.get_by_label("Currency")).to_have_value("EUR")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Europe/Berlin")
    expect(page.get_by_label("Number format")).to_have_value("de-DE")
    page.goto(f"{site.url}/goals/new/")
    page.get_by_label("Name", exact=True).fill("Urlaub")
    page.get_by_label("Target", exact=True).fill("1234.50")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_text(f"1.234,50{NBSP}€").first).to_be_visible()
    context.close()
    assert violations.seen == []
    assert page_errors.errors == []


def test_the_once_only_check_offers_the_browsers_time_zone_in_place_of_utc(browser, site, expect, page_errors):
    site.shell(
        "from users.models import User; User.objects.create_user(email='old@example.com', "
        f"password={PASSWORD!r}, confirmed_locale_settings=False)"
    )
    context, violations, page = german_browser_in_berlin(browser, page_errors)
    page.goto(f"{site.url}/accounts/login/")
    sign_in(page, email="old@example.com")
    page.wait_for_url(f"{site.url}/account/check-settings/**")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(page.get_by_text("Your browser's region uses EUR.")).to_be_visible()
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{site.url}/")
    expect(page.get_by_text("your money is in EUR and your days are in Europe/Berlin")).to_be_visible()
    context.close()
    assert violations.seen == []
    assert page_errors.errors == []
