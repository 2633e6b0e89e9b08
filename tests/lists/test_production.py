"""A list produced for every CPAS of its own municipality, in each format, read back with
each format's own reader; the manifest's checksum; every person included journaled under
their own NISS, shown by "who consulted my data"."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from lxml import etree

from carrefour.console.services import consulted
from carrefour.directory.cache import load_snapshot
from carrefour.lists.formats import schema_text
from tests.lists.conftest import DAVE, ERIN, LIST, ListNet
from tests.people import ALICE, BOB, CAROL

FIELDS = ["niss", "household_id", "status", "start", "end"]
ALICE_ROW = {"niss": ALICE, "household_id": "H-1", "status": "temporary-unemployment",
             "start": "2024-03-10", "end": "2024-04-30"}
ERIN_ROW = {"niss": ERIN, "household_id": "H-5", "status": "bridging-right",
            "start": "2024-03-01", "end": None}


def _download(net: ListNet, who: str, file: dict[str, Any]) -> bytes:
    with net.client(who) as client:
        response = client.get(file["download"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(file["media_type"])
    return response.content


def _read(fmt: str, body: bytes) -> list[dict[str, Any]]:
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
        return [{k: v or None for k, v in row.items()} for row in rows]
    if fmt == "jsonl":
        return [orjson.loads(line) for line in body.splitlines()]
    if fmt == "xml":
        schema = etree.XMLSchema(etree.fromstring(schema_text().encode()))
        document = etree.fromstring(body)
        schema.assertValid(document)
        return [{etree.QName(child).localname: child.text for child in row}
                for row in document]
    table = pq.read_table(io.BytesIO(body))
    assert table.column_names == FIELDS
    return [{k: (v.isoformat() if v is not None and k in ("start", "end") else v)
             for k, v in row.items()} for row in table.to_pylist()]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xml", "parquet"])
def test_each_format_reads_back_with_its_own_reader(net: ListNet, fmt: str) -> None:
    response = net.generate(fmt=fmt)
    brussels, liege = net.file_of(response, "cpas-brussels"), net.file_of(response, "cpas-liege")
    assert _read(fmt, _download(net, "cpas-brussels", brussels)) == [ALICE_ROW]
    assert _read(fmt, _download(net, "cpas-liege", liege)) == [ERIN_ROW]
    assert (brussels["rows"], brussels["persons"], brussels["format"]) == (1, 1, fmt)


def test_the_manifest_says_what_the_file_is(net: ListNet) -> None:
    file = net.file_of(net.generate(), "cpas-brussels")
    body = _download(net, "cpas-brussels", file)
    assert file["sha256"] == hashlib.sha256(body).hexdigest() and file["size"] == len(body)
    assert file["list"] == LIST and file["deliberation"] == "CSI/20/118"
    assert file["period"] == {"start": "2024-03-01", "end": "2024-03-31"}
    assert file["format"] == "csv" and file["fields"] == FIELDS  # the default format
    assert file["generated_at"] < file["expires_at"]
    on_disk = next(net.folder.rglob(f"*{file['id']}.csv.manifest.json"))
    assert orjson.loads(on_disk.read_bytes()) == file
    with net.client("cpas-brussels") as client:
        manifest = client.get(f"{file['download']}/manifest").json()
        mailbox = client.get("/v1/lists/files").json()
    assert {k: v for k, v in manifest.items() if k != "ticket"} == file
    assert [f["id"] for f in mailbox["files"]] == [file["id"]]


def test_only_the_persons_of_the_area_with_a_status_in_the_period(net: ListNet) -> None:
    response = net.generate(fmt="jsonl")
    assert response.status_code == 201, response.text
    body = _download(net, "cpas-brussels", net.file_of(response, "cpas-brussels"))
    nisses = {orjson.loads(line)["niss"] for line in body.splitlines()}
    assert nisses == {ALICE}  # not BOB (before the period), CAROL (RIS), DAVE, ERIN (Liège)
    assert not {BOB, CAROL, DAVE, ERIN} & nisses
    assert net.outcomes(response.json()["ticket"]) == ["ok"]


def test_who_consulted_shows_the_inclusion_in_the_list(net: ListNet) -> None:
    file = net.file_of(net.generate(), "cpas-brussels")
    with net.client("operator") as client:
        alice = client.get(f"/v1/admin/persons/{ALICE}/consultations").json()
        dave = client.get(f"/v1/admin/persons/{DAVE}/consultations").json()
    (included,) = [e for e in alice if e["action"] == "list-inclusion"]
    assert included["client"] == net.institutions["cpas-brussels"].cbe
    assert included["reference"] == f"list:{LIST}:{file['id']}"
    assert included["deliberation"] == "CSI/20/118"
    assert included["occurred_at"][:10] == file["generated_at"][:10]
    assert not [e for e in dave if e["action"] == "list-inclusion"]


def test_the_citizen_page_shows_the_list(net: ListNet) -> None:
    file = net.file_of(net.generate(), "cpas-brussels")
    snapshot = load_snapshot(net.engine)
    (line,) = consulted(net.hub, snapshot, ALICE, language="fr", today=dt.date.today())
    assert line.institution == "cpas-brussels"
    assert line.service == ("Inclus dans la liste: Personnes de la commune en chômage "
                            "temporaire ou bénéficiant du droit passerelle")
    assert "Covid-19" in line.purpose
    assert line.occurred_at.date().isoformat() == file["generated_at"][:10]
    assert consulted(net.hub, snapshot, DAVE, language="fr", today=dt.date.today()) == []


def test_a_recipient_that_subscribed_is_told_its_list_is_ready(net: ListNet) -> None:
    with net.client("cpas-liege") as client:
        made = client.post("/v1/subscriptions", json={"mutation_type": "list-ready",
                                                       "batch_max": 10})
        assert made.status_code == 201, made.text
        file = net.file_of(net.generate(fmt="parquet"), "cpas-liege")
        feed = client.get("/v1/feed").json()
    (event,) = feed["events"]
    assert event["type"] == "be.carrefour.mutation.list-ready"
    told = event["data"]["changes"]
    assert told["id"] == file["id"] and told["download"] == file["download"]
    assert told["sha256"] == file["sha256"] and told["rows"] == file["rows"]
