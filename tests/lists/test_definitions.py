"""A list definition file is checked whole: an unknown field, a format not offered, or a
deliberation that does not grant the data refuses the whole file, with the reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from carrefour.catalogue.model import default_catalogue
from carrefour.cli import app
from carrefour.directory.cache import load_snapshot
from carrefour.directory.files import load_reference_file
from carrefour.errors import InvalidListDefinition
from carrefour.lists.domain import byte_range, check_grants, parse_definitions
from carrefour.lists.services import service_fields, shipped_definitions

SHIPPED = (Path(__file__).resolve().parents[2] / "src" / "carrefour" / "lists"
           / "definitions.toml").read_text()
OTHER = '''
[[list]]
name = "regional-bim"
title = "BIM of the region"
recipient_kinds = ["cpas"]
area = "region"
statuses = ["bim"]
service = "harmonised-statuses"
fields = ["niss"]
deliberation = "CSI/20/118"
formats = ["csv"]
default_format = "csv"
'''


def _parse(text: str) -> object:
    return parse_definitions(text, service_fields(default_catalogue()))


@pytest.mark.parametrize(("change", "reason"), [
    (('"end"]', '"end", "wage"]'), "unknown field(s) wage"),
    (('"parquet"]', '"parquet", "xlsx"]'), "the format(s) xlsx are not offered"),
    (('default_format = "csv"', 'default_format = "xlsx"'), "default format 'xlsx'"),
    (('area = "municipality"', 'area = "planet"'), "the area 'planet'"),
    (('"bridging-right"]', '"bridging-right", "lottery"]'), "unknown status(es) lottery"),
    (('schedule = "monthly"', 'schedule = "hourly"\ncolour = 1'), "unknown key(s) colour"),
    (('service = "harmonised-statuses"', 'service = "nothing"'), "not in the catalogue"),
])
def test_a_bad_definition_refuses_the_whole_file(change: tuple[str, str], reason: str) -> None:
    bad = SHIPPED.replace(*change)
    assert bad != SHIPPED
    with pytest.raises(InvalidListDefinition) as refused:
        _parse(bad + OTHER)  # the other, valid list goes down with it
    assert reason in refused.value.detail
    assert refused.value.code == "invalid-list-definition"


def test_the_shipped_definitions_and_another_parse() -> None:
    definitions = _parse(SHIPPED + OTHER)
    assert sorted(definitions.by_name) == ["regional-bim",  # type: ignore[attr-defined]
                                           "temporary-unemployment-bridging"]
    with pytest.raises(InvalidListDefinition, match="defined twice"):
        _parse(SHIPPED + SHIPPED)
    with pytest.raises(InvalidListDefinition, match="not valid TOML"):
        _parse("[[list]\n")


def test_a_deliberation_that_does_not_grant_the_data_is_refused(engine: Engine) -> None:
    load_reference_file(engine)
    grants = [g for found in load_snapshot(engine).deliberations_by_service.values()
              for g in found]
    today = dt.date(2024, 6, 1)
    check_grants(shipped_definitions(default_catalogue()), grants, today)  # granted
    more = _parse(SHIPPED.replace('"end"]', '"end", "source"]'))  # not granted
    with pytest.raises(InvalidListDefinition, match="does not grant a cpas the field"):
        check_grants(more, grants, today)  # type: ignore[arg-type]
    other = _parse(SHIPPED.replace("CSI/20/118", "CSI/99/999"))
    with pytest.raises(InvalidListDefinition, match="no valid deliberation CSI/99/999"):
        check_grants(other, grants, today)  # type: ignore[arg-type]
    early = dt.date(2019, 1, 1)  # before the deliberation
    with pytest.raises(InvalidListDefinition, match="no valid deliberation CSI/20/118"):
        check_grants(shipped_definitions(default_catalogue()), grants, early)


def test_the_command_line_checks_a_file(engine: Engine, tmp_path: Path) -> None:
    load_reference_file(engine)
    good = CliRunner().invoke(app, ["lists", "check", "--database-url", str(engine.url)])
    assert good.exit_code == 0, good.output
    assert "ok temporary-unemployment-bridging" in good.output
    path = tmp_path / "lists.toml"
    path.write_text(SHIPPED.replace('"end"]', '"end", "source"]'))
    bad = CliRunner().invoke(app, ["lists", "check", str(path), "--database-url",
                                   str(engine.url)])
    assert bad.exit_code == 1 and "invalid-list-definition" in bad.output


@pytest.mark.parametrize(("header", "size", "expected"), [
    (None, 10, None), ("bytes=0-4", 10, (0, 4)), ("bytes=5-", 10, (5, 9)),
    ("bytes=-3", 10, (7, 9)), ("bytes=-30", 10, (0, 9)), ("bytes=2-99", 10, (2, 9)),
    ("bytes=5-2", 10, None), ("items=0-1", 10, None), ("bytes=0-1,4-5", 10, None),
    ("bytes=x-y", 10, None),
])
def test_byte_ranges(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, size) == expected


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=-0", "bytes=99-100"])
def test_a_range_beyond_the_file_is_refused(header: str) -> None:
    from carrefour.errors import RangeNotSatisfiable

    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 10)
