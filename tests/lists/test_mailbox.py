"""The mailbox: a file is downloaded by its recipient with its own credentials, resumable
(HTTP ranges: 206, 416), until it expires (410); another institution is refused (403) and
journaled; every endpoint refuses a caller without the right."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import update

from carrefour.lists.services import remove_expired
from carrefour.lists.tables import list_files
from tests.lists.conftest import LIST, PERIOD, ListNet


def _whole(net: ListNet, file: dict[str, object]) -> bytes:
    with net.client("cpas-brussels") as client:
        return client.get(str(file["download"])).content


def test_a_download_resumes_with_ranges(net: ListNet) -> None:
    file = net.file_of(net.generate(fmt="xml"), "cpas-brussels")
    whole = _whole(net, file)
    size = len(whole)
    with net.client("cpas-brussels") as client:
        head = client.get(file["download"], headers={"Range": "bytes=0-99"})
        rest = client.get(file["download"], headers={"Range": "bytes=100-"})
        tail = client.get(file["download"], headers={"Range": "bytes=-10"})
        beyond = client.get(file["download"], headers={"Range": f"bytes={size}-"})
    assert head.status_code == rest.status_code == tail.status_code == 206
    assert head.headers["content-range"] == f"bytes 0-99/{size}"
    assert rest.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    assert head.content + rest.content == whole and tail.content == whole[-10:]
    assert head.headers["accept-ranges"] == "bytes"
    assert head.headers["etag"] == f'"{file["sha256"]}"'
    assert beyond.status_code == 416 and beyond.json()["code"] == "range-not-satisfiable"
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert net.outcomes(beyond.json()["ticket"]) == ["range-not-satisfiable"]
    assert net.outcomes(head.headers["carrefour-ticket"]) == ["ok"]


def test_another_institution_is_refused_and_journaled(net: ListNet) -> None:
    file = net.file_of(net.generate(), "cpas-brussels")
    for who in ("cpas-liege", "spf-economy", "operator"):
        with net.client(who) as client:
            refused = client.get(file["download"])
            manifest = client.get(f"{file['download']}/manifest")
            mailbox = client.get("/v1/lists/files").json()["files"]
        assert refused.status_code == manifest.status_code == 403
        assert refused.json()["code"] == "not-list-recipient"
        assert net.outcomes(refused.json()["ticket"]) == ["not-list-recipient"]
        assert file["id"] not in [f["id"] for f in mailbox]
    with httpx.Client(base_url=net.url, timeout=30) as anonymous:
        assert anonymous.get(file["download"]).status_code == 401
        assert anonymous.get("/v1/lists/files").status_code == 401


def test_a_file_expires_after_the_retention(net: ListNet) -> None:
    file = net.file_of(net.generate(), "cpas-brussels")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with net.engine.begin() as connection:
        connection.execute(update(list_files).where(list_files.c.id == file["id"])
                           .values(expires_at=past))
    with net.client("cpas-brussels") as client:
        gone = client.get(file["download"])
        assert client.get("/v1/lists/files").json()["files"] == []
    assert gone.status_code == 410 and gone.json()["code"] == "list-expired"
    on_disk = list(net.folder.rglob(f"*{file['id']}.csv*"))
    assert len(on_disk) == 2  # the file and its manifest, until the removal
    assert remove_expired(net.engine, net.folder, dt.datetime.now(dt.UTC)) == 1
    assert list(net.folder.rglob(f"*{file['id']}.csv*")) == []
    with net.client("cpas-brussels") as client:
        assert client.get(file["download"]).status_code == 410


def test_the_retention_setting_sets_the_expiry(net: ListNet) -> None:
    file = net.file_of(net.generate(), "cpas-brussels")
    kept = (dt.datetime.fromisoformat(file["expires_at"])
            - dt.datetime.fromisoformat(file["generated_at"]))
    assert kept == net.hub.lists.policy.retention == dt.timedelta(days=30)


def test_an_unknown_file_and_bad_input(net: ListNet) -> None:
    with net.client("cpas-brussels") as client:
        unknown = client.get("/v1/lists/files/00000000-0000-7000-8000-000000000000")
        assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-list"
        assert client.get("/v1/lists/files/not-an-id").status_code == 422
        assert client.get("/v1/lists/files", params={"limit": 0}).status_code == 422


def test_only_operators_produce_lists(net: ListNet) -> None:
    with net.client("cpas-brussels") as client:
        refused = client.post(f"/v1/admin/lists/{LIST}/generate", json=PERIOD)
        assert client.get("/v1/admin/lists").status_code == 403
        assert client.post("/v1/admin/onboarding", json={}).status_code in (403, 422)
    assert refused.status_code == 403
    assert net.outcomes(refused.json()["ticket"]) == ["forbidden"]
    with net.client("operator") as client:
        unknown = client.post("/v1/admin/lists/no-such-list/generate", json=PERIOD)
        backwards = client.post(f"/v1/admin/lists/{LIST}/generate",
                                json={"start": "2024-03-31", "end": "2024-03-01"})
        bad_format = client.post(f"/v1/admin/lists/{LIST}/generate",
                                 json={**PERIOD, "format": "xlsx"})
        stranger = client.post(f"/v1/admin/lists/{LIST}/generate",
                               json={**PERIOD, "recipients": ["0212345678"]})
        listed = client.get("/v1/admin/lists").json()
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-list"
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid-period"
    assert bad_format.status_code == 422 and stranger.status_code == 422
    assert [d["name"] for d in listed] == [LIST]
    assert net.outcomes(unknown.json()["ticket"]) == ["unknown-list"]
