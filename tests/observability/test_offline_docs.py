"""Swagger UI and ReDoc are served by the hub itself: their pages name no address outside it,
and the assets they load are there."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.exchange.conftest import Network

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""")
LOCAL_ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](/[^"']+)["']|url:\s*'(/[^']+)'""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_reference_no_external_address(
    network: Network, page: str
) -> None:
    response = httpx.get(f"{network.url}{page}", timeout=30)
    assert response.status_code == 200
    assert not EXTERNAL.search(response.text), response.text
    assert "https://" not in response.text and "http://" not in response.text
    assets = [a or b for a, b in LOCAL_ASSET.findall(response.text)]
    assert any(asset.endswith(".js") for asset in assets), assets
    for asset in assets:
        loaded = httpx.get(f"{network.url}{asset}", timeout=30)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 1_000 or asset.endswith(".json"), asset


def test_swagger_ui_uses_the_oauth2_redirect_of_the_hub(network: Network) -> None:
    page = httpx.get(f"{network.url}/docs", timeout=30).text
    assert "/docs/oauth2-redirect" in page
    assert "validatorUrl" in page
    assert httpx.get(f"{network.url}/docs/oauth2-redirect", timeout=30).status_code == 200
