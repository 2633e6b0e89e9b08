"""Rows beyond the inline limit (``CARREFOUR_RESEARCH_INLINE_ROWS``) come as a JSON Lines file
in the researcher's mailbox, downloaded like a list file: resumable, for the researcher only."""

from __future__ import annotations

import hashlib

import orjson
import pytest
from sqlalchemy import func, select

from carrefour.lists.tables import list_files
from tests.research.conftest import POPULATION, ResearchNet

SMALL = {"research_inline_rows": len(POPULATION) - 1}


def _rows(net: ResearchNet) -> dict[str, object]:
    assert net.register("P1").status_code == 201
    response = net.extract(kind="rows", variables=["region", "start_month"])
    assert response.status_code == 201, response.text
    extract: dict[str, object] = response.json()
    return extract


def test_rows_within_the_limit_are_answered_inline(net: ResearchNet) -> None:
    extract = _rows(net)
    assert extract["delivery"] == "inline" and "file" not in extract
    assert len(extract["rows"]) == len(POPULATION)  # type: ignore[arg-type]


@pytest.mark.parametrize("research_settings", [SMALL])
def test_rows_beyond_the_limit_come_as_a_file_of_the_researchers_mailbox(
    net: ResearchNet
) -> None:
    extract = _rows(net)
    assert extract["delivery"] == "file" and "rows" not in extract
    assert extract["persons"] == len(POPULATION) and extract["suppressed_rows"] == 4
    file = extract["file"]
    assert isinstance(file, dict)
    assert (file["list"], file["format"], file["rows"]) == ("research:P1", "jsonl",
                                                            len(POPULATION))
    assert file["fields"] == ["pseudonym", "region", "start_month"]
    assert file["recipient"] == net.institutions["uni-a"].cbe
    with net.client("uni-a") as client:
        mailbox = client.get("/v1/lists/files").json()
        whole = client.get(file["download"])
        part = client.get(file["download"], headers={"Range": "bytes=0-9"})
    assert [f["id"] for f in mailbox["files"]] == [file["id"]]
    assert whole.status_code == 200 and hashlib.sha256(whole.content).hexdigest() == \
        file["sha256"]
    rows = [orjson.loads(line) for line in whole.content.splitlines()]
    assert len(rows) == len(POPULATION)
    assert {tuple(r) for r in rows} == {("pseudonym", "region", "start_month")}
    assert sum(r["region"] is None for r in rows) == 4  # blanked as inline
    assert part.status_code == 206 and part.content == whole.content[:10]
    assert net.outcomes(extract["ticket"]) == ["ok"]  # type: ignore[arg-type]


@pytest.mark.parametrize("research_settings", [SMALL])
def test_another_institution_cannot_download_the_researchers_file(net: ResearchNet) -> None:
    file = _rows(net)["file"]
    assert isinstance(file, dict)
    with net.client("uni-b") as client:
        refused = client.get(file["download"])
    assert (refused.status_code, refused.json()["code"]) == (403, "not-list-recipient")
    assert net.outcomes(refused.json()["ticket"]) == ["not-list-recipient"]


@pytest.mark.parametrize("research_settings", [SMALL])
def test_a_refused_extract_leaves_no_file(net: ResearchNet) -> None:
    assert net.register("P1").status_code == 201
    refused = net.extract("P1", who="uni-b", kind="rows")
    assert refused.status_code == 403
    with net.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(list_files)).scalar() == 0
