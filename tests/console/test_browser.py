"""The console in a browser (Playwright driving Debian's Chromium), as its users would: an
operator finds a ticket, a DPO exports a CSV, a citizen signs in through the simulated eID
provider and sees exactly the exchanges about them, in French, Dutch and German; a user
without the role is refused. With ``CARREFOUR_SCREENSHOTS=<folder>`` each view is saved as a
PNG there (``make screenshots`` writes docs/console/)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.chromium import CHROMIUM, NEEDS_CHROMIUM
from tests.console.conftest import CONFIDENTIAL, Console, Staff
from tests.people import ALICE, BOB

pytestmark = NEEDS_CHROMIUM
SHOTS = os.environ.get("CARREFOUR_SCREENSHOTS")
LANGUAGES = ("fr", "nl", "de")

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page


def _page(browser: Browser, lang: str) -> Page:
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 800},
                                  extra_http_headers={"Accept-Language": lang})
    return context.new_page()


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page: Page, console: Console, staff: Staff, role: str) -> None:
    page.goto(f"{console.net.url}/console/login")
    page.fill("input[name=client_id]", staff.client_id)
    page.fill("input[name=client_secret]", staff.secret)
    page.fill("input[name=end_user_id]", "jdoe")
    page.fill("input[name=role]", role)
    page.click("form[action^='/console/login'] button")


def test_an_operator_finds_a_ticket(console: Console, browser: Browser) -> None:
    for lang in LANGUAGES:
        _operator_finds_a_ticket(console, browser, lang)


def _operator_finds_a_ticket(console: Console, browser: Browser, lang: str) -> None:
    page = _page(browser, lang)
    _sign_in(page, console, console.operator, "operator")
    assert page.url.endswith("/console/dashboard")
    _shot(page, f"dashboard-{lang}")
    page.click("a[href='/console/ticket']")
    page.fill("input[name=ticket]", console.tickets["legal"])
    page.click("form.filters button")
    record = page.locator("#record")
    assert ALICE in record.inner_text() and "legal-data" in record.inner_text()
    assert page.locator("html").get_attribute("lang") == lang
    _shot(page, f"ticket-{lang}")
    if lang == "fr":
        for view in ("institutions", "deliberations", "audit"):
            page.goto(f"{console.net.url}/console/{view}")
            _shot(page, view)


def test_a_dpo_exports_a_csv(console: Console, browser: Browser) -> None:
    for lang in LANGUAGES:
        _dpo_exports_a_csv(console, browser, lang)


def _dpo_exports_a_csv(console: Console, browser: Browser, lang: str) -> None:
    page = _page(browser, lang)
    _sign_in(page, console, console.dpo, "dpo")
    page.fill("input[name=niss]", BOB)
    page.click("form.filters button[type=submit]")
    assert BOB in page.locator("#exchanges").inner_text()
    _shot(page, f"exchanges-{lang}")
    with page.expect_download() as download:
        page.click("#csv")
    lines = Path(download.value.path()).read_text().strip().splitlines()
    assert lines[0].startswith("date,ticket,end_user")
    assert [line.split(",")[5] for line in lines[1:]] == [BOB]


def test_a_citizen_sees_exactly_who_consulted_their_data(
    console: Console, browser: Browser
) -> None:
    for lang in LANGUAGES:
        _citizen_sees_who_consulted(console, browser, lang)


def _citizen_sees_who_consulted(console: Console, browser: Browser, lang: str) -> None:
    page = _page(browser, lang)
    page.goto(f"{console.net.url}/console/login")
    _shot(page, f"login-{lang}")
    page.click("a[href^='/console/oidc/start']")
    assert page.url.startswith(console.eid_url)
    page.fill("#niss", ALICE)
    page.click("#authenticate")
    rows = page.locator("#consultations tbody tr")
    assert rows.count() == 1  # the legal-data consultation; the confidential one withheld
    text = rows.first.inner_text()
    assert "CPAS de Namur" in text and CONFIDENTIAL not in page.content()
    titles = {"fr": "Données légales", "nl": "Wettelijke gegevens", "de": "Gesetzliche Daten"}
    assert titles[lang] in text
    _shot(page, f"mine-{lang}")
    with page.expect_download() as download:
        page.click("#csv")
    assert len(Path(download.value.path()).read_text().strip().splitlines()) == 2


def test_a_user_without_the_role_is_refused(console: Console, browser: Browser) -> None:
    page = _page(browser, "de")
    _sign_in(page, console, console.dpo, "social-worker")
    page.goto(f"{console.net.url}/console/exchanges")
    assert "Zugang verweigert" in page.inner_text("h1")
    assert page.locator("code.ticket").inner_text()
    _shot(page, "refused-de")
