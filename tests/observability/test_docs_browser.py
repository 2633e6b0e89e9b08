"""The interactive documentation renders in a real browser (Playwright driving Debian's
Chromium) with every address outside the hub cut off, as on a machine without internet: Swagger
UI lists the operations, ReDoc shows the API's title and its operations, and the browser asked
nothing of any other host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.chromium import CHROMIUM, NEEDS_CHROMIUM
from tests.exchange.conftest import Network

pytestmark = NEEDS_CHROMIUM

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Route


@pytest.mark.parametrize(("page", "rendered"), [
    ("/docs", ".opblock-summary-path"),  # one block per operation
    ("/redoc", "[data-section-id^='tag/'], [data-section-id^='operation/']"),
])
def test_the_documentation_renders_offline(network: Network, browser: Browser, page: str,
                                           rendered: str) -> None:
    hub = urlsplit(network.url).netloc
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == hub:
            route.continue_()
        else:  # the internet is not there
            elsewhere.append(route.request.url)
            route.abort()

    context = browser.new_context()
    try:
        view = context.new_page()
        view.route("**/*", offline)
        errors: list[str] = []
        view.on("pageerror", lambda error: errors.append(str(error)))
        view.goto(f"{network.url}{page}", wait_until="networkidle")
        view.wait_for_selector(rendered, timeout=30_000)
        shown = view.locator(rendered).count()
        text = view.inner_text("body")
    finally:
        context.close()
    assert elsewhere == [] and errors == []
    assert shown >= 5, shown  # the operations are listed, not a blank page
    assert "/v1/consultations" in text
