"""Browser tests: Playwright driving Debian's Chromium (Playwright cannot download its own
browsers here; ``.ci/run`` installs ``chromium``). The ``browser`` fixture (``tests/conftest.py``)
launches it once per module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CARREFOUR_CHROMIUM", "/usr/bin/chromium"))
#: The marks of a module of browser tests: slow, and skipped where there is no Chromium.
NEEDS_CHROMIUM = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
    ),
]
