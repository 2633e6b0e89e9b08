"""Writing one list file in the format its recipient chose: CSV (RFC 4180, a header line),
JSON Lines (one object per row), XML (``list.xsd``, shipped beside this module) or Parquet
(pyarrow, every column a string but the dates). Each writer streams its rows to the path."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson
from lxml import etree

from carrefour.lists.domain import Row

NAMESPACE = "urn:carrefour:lists:1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DATE_FIELDS = frozenset({"start", "end"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """What a file says about itself (the XML root's attributes)."""

    file_id: str
    definition: str
    recipient: str
    deliberation: str
    start: dt.date
    end: dt.date


def schema_text() -> str:
    """The XML schema of list files."""
    return resources.files("carrefour.lists").joinpath("list.xsd").read_text("utf-8")


def write(fmt: str, path: Path, header: Header, fields: Sequence[str], rows: Sequence[Row]
          ) -> None:
    WRITERS[fmt](path, header, fields, rows)


def _csv(path: Path, header: Header, fields: Sequence[str], rows: Sequence[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(fields)
        writer.writerows([[v or "" for v in r.values(fields).values()] for r in rows])


def _jsonl(path: Path, header: Header, fields: Sequence[str], rows: Sequence[Row]) -> None:
    with path.open("wb") as out:
        out.write(b"".join(orjson.dumps(r.values(fields)) + b"\n" for r in rows))


def _xml(path: Path, header: Header, fields: Sequence[str], rows: Sequence[Row]) -> None:
    attributes = {"id": header.file_id, "definition": header.definition,
                  "recipient": header.recipient, "deliberation": header.deliberation,
                  "period_start": header.start.isoformat(), "period_end": header.end.isoformat()}
    with etree.xmlfile(str(path), encoding="utf-8") as out:
        out.write_declaration()
        with out.element(f"{{{NAMESPACE}}}list", attributes,
                         nsmap={None: NAMESPACE, "xsi": XSI}):
            for row in rows:
                out.write(_row_element(row.values(fields)))


def _row_element(values: dict[str, str | None]) -> etree._Element:
    row = etree.Element(f"{{{NAMESPACE}}}row")
    for name, value in values.items():
        child = etree.SubElement(row, f"{{{NAMESPACE}}}{name}")
        if value is None:
            child.set(f"{{{XSI}}}nil", "true")
        else:
            child.text = value
    return row


def _parquet(path: Path, header: Header, fields: Sequence[str], rows: Sequence[Row]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = [r.values(fields) for r in rows]
    columns = {f: [v[f] for v in values] for f in fields}
    arrays = [pa.array([None if v is None else dt.date.fromisoformat(v) for v in columns[f]],
                       type=pa.date32()) if f in DATE_FIELDS
              else pa.array(columns[f], type=pa.string()) for f in fields]
    table = pa.Table.from_arrays(arrays, names=list(fields))
    metadata = {b"carrefour.list": orjson.dumps({
        "id": header.file_id, "definition": header.definition, "recipient": header.recipient,
        "deliberation": header.deliberation, "period_start": header.start.isoformat(),
        "period_end": header.end.isoformat()})}
    pq.write_table(table.replace_schema_metadata(metadata), path)


WRITERS: dict[str, Callable[[Path, Header, Sequence[str], Sequence[Row]], None]] = {
    "csv": _csv, "jsonl": _jsonl, "xml": _xml, "parquet": _parquet}
