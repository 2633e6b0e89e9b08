"""The hub's logs: a JSON line per journaled exchange, no NISS in any line, a readable line on a
terminal."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from carrefour.config import ObservabilitySettings
from carrefour.observability import logs
from tests.exchange.conftest import Network
from tests.exchange.test_consultations import LEGAL
from tests.people import ALICE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    logs.configure(ObservabilitySettings(log_format="auto", log_level="info"), stream=stream)
    yield stream
    for handler in [h for h in root.handlers if getattr(h, "carrefour", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_exchange_is_one_json_line_without_the_niss(
    network: Network, captured: io.StringIO
) -> None:
    network.sources["national-register"].files["legal-data"] = {ALICE: LEGAL}
    ticket = network.consult("legal-data", ALICE).json()["ticket"]
    refused = network.consult("legal-data", "85073003329").json()["ticket"]
    written = lines(captured)
    by_ticket = {line.get("ticket"): line for line in written}
    line = by_ticket[ticket]
    assert line["logger"] == "carrefour.exchange"
    assert line["client"] == network.institutions["cpas"].cbe
    assert (line["service"], line["outcome"], line["channel"]) == ("legal-data", "ok", "rest")
    assert isinstance(line["duration_ms"], float)
    assert by_ticket[refused]["outcome"] == "invalid-niss"
    assert ALICE not in captured.getvalue() and "85073003329" not in captured.getvalue()


def test_a_niss_in_any_message_or_traceback_is_masked(captured: io.StringIO) -> None:
    log = logging.getLogger("carrefour.test")
    log.warning("looked up %s and 85.07.30-033.28", ALICE)
    try:
        raise ValueError(f"bad person {ALICE}")
    except ValueError:
        log.exception("failed")
    text = captured.getvalue()
    assert ALICE not in text and "85.07.30-033.28" not in text
    assert text.count("<niss>") == 3  # twice in the message, once in the exception
    assert [line["level"] for line in lines(captured)] == ["warning", "error"]


def test_a_ticket_or_an_enterprise_number_is_not_taken_for_a_niss() -> None:
    text = "ticket 01890a5d-ac96-774b-bcce-b302099a8057 client 0200000101"
    assert logs.mask_niss(text) == text


def test_on_a_terminal_the_lines_are_readable() -> None:
    stream = Terminal()
    logs.configure(ObservabilitySettings(log_format="auto"), stream=stream)
    try:
        logging.getLogger("carrefour.test").warning("hello %s", ALICE, extra={"ticket": "t-1"})
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "carrefour", False)]:
            root.removeHandler(handler)
    line = stream.getvalue().strip()
    assert "WARNING" in line and "hello <niss>" in line and line.endswith("ticket=t-1")
    assert not line.startswith("{")
