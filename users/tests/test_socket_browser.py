"""The pages' live bell when the password changes (issue 12, item 5), in a real browser
against a real Daphne: the other device's bell is closed and signs out; a second tab of
the browser that made the change keeps a live bell (it reconnects on the session that
update_session_auth_hash kept valid). Chromium and Playwright as in test_browser.py."""

import pytest

from budgetpay.testing.browser import DESKTOP, PASSWORD, sign_in, sign_up, wait_live

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "browser-new-password-58"


def test_a_password_change_signs_other_devices_out_and_keeps_this_browsers_bell(browser, site, expect, page_errors):
    base = site.url
    this_browser = browser.new_context(viewport=DESKTOP)
    dashboard = page_errors.watch(this_browser.new_page())
    sign_up(dashboard, base, email="kim@example.com", name="Kim Lee")
    wait_live(dashboard)
    sockets: list[str] = []
    dashboard.on("websocket", lambda socket: sockets.append(socket.url))

    other_device = browser.new_context(viewport=DESKTOP)
    phone = page_errors.watch(other_device.new_page())
    phone.goto(f"{base}/accounts/login/")
    sign_in(phone, email="kim@example.com")
    phone.wait_for_url(f"{base}/")
    wait_live(phone)

    settings_tab = page_errors.watch(this_browser.new_page())
    settings_tab.goto(f"{base}/accounts/password/change/")
    settings_tab.fill("input[name=oldpassword]", PASSWORD)
    settings_tab.fill("input[name=password1]", NEW_PASSWORD)
    settings_tab.fill("input[name=password2]", NEW_PASSWORD)
    settings_tab.locator("form:has(input[name=oldpassword]) button[type=submit]").click()
    settings_tab.wait_for_load_state()

    phone.wait_for_selector("body[data-live=signed-out]")
    expect(phone.locator("#live-status")).to_contain_text("You have been signed out")
    # The dashboard tab's socket was closed with 4005 too: it reconnected once, on its session.
    for _ in range(50):
        if sockets:
            break
        dashboard.wait_for_timeout(100)
    assert len(sockets) == 1, "the dashboard's bell did not reconnect after the password change"
    expect(dashboard.locator("body")).to_have_attribute("data-live", "open")
    dashboard.wait_for_timeout(2500)
    assert len(sockets) == 1, sockets
    expect(dashboard.locator("body")).to_have_attribute("data-live", "open")
    this_browser.close()
    other_device.close()
    assert page_errors.errors == []
