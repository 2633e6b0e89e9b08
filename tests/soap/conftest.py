"""The real hub over HTTP with the real simulated National Register (a small household
written for these tests), CPAS clients, and zeep clients built from the original CBSS WSDLs
with their address pointed at the hub. One hub serves each test module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from sqlalchemy import Engine
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport

from carrefour.api.app import create_app
from carrefour.auth.services import NewCredentials, Scope, create_credentials
from carrefour.bootstrap import build_hub
from carrefour.config import Settings
from carrefour.directory.domain import Role
from carrefour.directory.files import load_reference_file
from carrefour.directory.services import InstitutionSpec, register_institution
from carrefour.simulation.seeding.sources_db import insert_chunks, name_key_rows, writer_engine
from carrefour.simulation.sources import records, schema
from carrefour.simulation.sources.app import create_source_app
from carrefour.soap.wsdl import SSDN_PATH, TX25_PATH
from tests.conftest import SHARED, _empty_all_tables
from tests.exchange.conftest import cbe
from tests.people import niss
from tests.servers import serving

CBSS = SHARED / "reference" / "cbss-xsd"
SSDN_WSDL = CBSS / "WSDL" / "WebServiceConnector.wsdl"
TX25_WSDL = CBSS / "XSD/be/fgov/kszbcss/intf/RetrieveTIGroupsService/RetrieveTIGroupsV2.wsdl"
SSDN_BINDING = "{http://ksz-bcss.fgov.be/connectors/WebServiceConnector}" \
    "KSZBCSSWebServiceConnectorBinding"
TX25_BINDING = "{http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2}" \
    "RetrieveTIGroupsServiceHTTPBinding"
NR_TOKEN = "national-register-token-0123456789abcdef"

JEAN = niss(dt.date(1961, 4, 12), 17)
MARIE = niss(dt.date(1963, 9, 2), 22)
LUC = niss(dt.date(1990, 1, 15), 31)
UNKNOWN = niss(dt.date(1950, 5, 5), 99)  # valid, but in no register
# A second household, whose composition changed: Sophie lived alone at Veldstraat 8, Tom joined
# her there, they moved together to Kerkstraat 5, where Emma was born.
SOPHIE = niss(dt.date(1975, 6, 3), 41)
TOM = niss(dt.date(1973, 11, 8), 44)
EMMA = niss(dt.date(2014, 7, 20), 46)


def _person(number: str, last: str, firsts: list[str], born: dt.date, gender: str,
            relationship: str, **extra: Any) -> dict[str, Any]:
    return {
        "niss": number, "last_name": last, "first_names": firsts, "birth_date": born,
        "birth_place": "Namur", "gender": gender, "nationality": "BE",
        "civil_state": "married" if relationship != "child" else "single",
        "street": "Rue de Fer", "house_number": "12", "box": None, "postal_code": "5000",
        "municipality": "Namur", "death_date": None, "household_id": "M00000001",
        "relationship": relationship, **extra,
    }


def _moves(since: str, *previous: tuple[str, str, str]) -> list[dict[str, Any]]:
    """An address history: the current address of the household since ``since``, then each
    previous (street, start, end), latest first."""
    here = {"street": "Rue de Fer", "number": "12", "box": None, "postal_code": "5000",
            "municipality": "Namur"}
    return [{**here, "start": since, "end": None}, *(
        {**here, "street": street, "number": "3", "start": start, "end": end}
        for street, start, end in previous)]


def _gent(street: str, number: str, start: str, end: str | None) -> dict[str, Any]:
    return {"street": street, "number": number, "box": None, "postal_code": "9000",
            "municipality": "Gent", "start": start, "end": end}


# The register's records on the households (address history, civil states, waiting register).
RECORDS = {
    SOPHIE: {"addresses": [_gent("Kerkstraat", "5", "2012-05-01", None),
                           _gent("Veldstraat", "8", "2005-09-01", "2012-04-30")],
             "civil_states": [{"state": "single", "start": "1975-06-03", "end": None}]},
    TOM: {"addresses": [_gent("Kerkstraat", "5", "2012-05-01", None),
                        _gent("Veldstraat", "8", "2008-03-15", "2012-04-30")],
          "civil_states": [{"state": "single", "start": "1973-11-08", "end": None}]},
    EMMA: {"addresses": [_gent("Kerkstraat", "5", "2014-07-20", None)],
           "civil_states": [{"state": "single", "start": "2014-07-20", "end": None}]},
    JEAN: {"addresses": _moves("2015-03-01", ("Rue des Carmes", "1988-06-18", "2015-02-28")),
           "civil_states": [{"state": "single", "start": "1961-04-12", "end": "1988-06-17"},
                            {"state": "married", "start": "1988-06-18", "end": None}]},
    MARIE: {"addresses": _moves("2015-03-01"),
            "civil_states": [{"state": "single", "start": "1963-09-02", "end": "1988-06-17"},
                             {"state": "married", "start": "1988-06-18", "end": None}],
            "registered_on": "2014-05-02", "procedure": "international-protection",
            "status": "refugee",
            "decisions": [{"authority": "CGRA", "decision": "refugee", "start": "2014-11-20",
                           "end": None}]},
    LUC: {"addresses": _moves("2015-03-01"),
          "civil_states": [{"state": "single", "start": "1990-01-15", "end": None}]},
}

HOUSEHOLD = [
    _person(JEAN, "Dupont", ["Jean", "Marie"], dt.date(1961, 4, 12), "M", "head"),
    _person(MARIE, "Lambert", ["Marie"], dt.date(1963, 9, 2), "F", "partner",
            nationality="FR"),
    _person(LUC, "Dupont", ["Luc"], dt.date(1990, 1, 15), "M", "child"),
    *(_person(number, "Peeters", [first], born, gender, role, civil_state="single",
              street="Kerkstraat", house_number="5", postal_code="9000", municipality="Gent",
              household_id="M00000002")
      for number, first, born, gender, role in (
          (SOPHIE, "Sophie", dt.date(1975, 6, 3), "F", "head"),
          (TOM, "Tom", dt.date(1973, 11, 8), "M", "partner"),
          (EMMA, "Emma", dt.date(2014, 7, 20), "F", "child"))),
]


@pytest.fixture(scope="session")
def national_register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('nr') / 'nr.sqlite3'}"
    engine = writer_engine(url)
    schema.national_register.create_all(engine)
    with engine.begin() as connection:
        connection.execute(schema.persons.insert(), HOUSEHOLD)
        insert_chunks(connection, schema.phonetic_keys, name_key_rows(
            ["Dupont", "Lambert", "Peeters"]))
        connection.execute(records.table("national-register").insert(),
                           [records.record_row(n, r) for n, r in RECORDS.items()])
    engine.dispose()
    app = create_source_app("national-register", database_url=url, token=NR_TOKEN,
                            name="Registre national")
    with serving(app) as served:
        yield served


@dataclass
class SoapNetwork:
    url: str
    engine: Engine
    cbe: dict[str, str]
    credentials: dict[str, NewCredentials]
    _tx25: dict[str | None, tuple[Any, HistoryPlugin]] = field(default_factory=dict)

    def ssdn(self, who: str | None = "cpas") -> Any:
        """A zeep service of the original connector WSDL, pointed at the hub."""
        session = requests.Session()
        if who is not None:
            made = self.credentials[who]
            session.auth = (made.client_id, made.client_secret)
        client = zeep.Client(str(SSDN_WSDL), transport=Transport(session=session))
        return client.create_service(SSDN_BINDING, self.url + SSDN_PATH)

    def tx25(self, who: str | None = "cpas") -> tuple[Any, HistoryPlugin]:
        """A zeep service of the original RetrieveTIGroups v2 WSDL (parsed once per client)."""
        if who not in self._tx25:
            session = requests.Session()
            if who is not None:
                made = self.credentials[who]
                session.auth = (made.client_id, made.client_secret)
            history = HistoryPlugin()
            client = zeep.Client(str(TX25_WSDL), transport=Transport(session=session),
                                 plugins=[history])
            self._tx25[who] = (client.create_service(TX25_BINDING, self.url + TX25_PATH),
                               history)
        return self._tx25[who]


def _register(engine: Engine, name: str, serial: int, kind: str, sector: tuple[int, int],
              role: Role, endpoint: str | None, token: str | None = None) -> str:
    spec = InstitutionSpec(cbe=cbe(serial), name_fr=name, name_nl=name, sector=sector[0],
                           subsector=sector[1], kind=kind, role=role, endpoint=endpoint,
                           source_token=token)
    return register_institution(engine, spec).cbe


@pytest.fixture(scope="module")
def soap(_schema: Engine, national_register: str) -> Iterator[SoapNetwork]:
    _empty_all_tables(_schema)
    with soap_network(_schema, national_register) as network:
        yield network


@contextmanager
def soap_network(
    engine: Engine, national_register: str, *, hub_engine: Engine | None = None
) -> Iterator[SoapNetwork]:
    """The test institutions and credentials written on ``engine`` (an empty schema), and a
    hub serving them over HTTP on ``hub_engine`` (default: the same engine)."""
    numbers = {
        "national-register": _register(engine, "Registre national", 1, "national-register",
                                       (0, 0), Role.SOURCE, national_register, NR_TOKEN),
        "bis-register": _register(engine, "BCSS", 9, "bis-register", (25, 0), Role.SOURCE,
                                  "local:bis-register"),
        "cpas": _register(engine, "CPAS de Namur", 10, "cpas", (17, 1), Role.CLIENT, None),
        "other-cpas": _register(engine, "OCMW Gent", 11, "cpas", (17, 1), Role.CLIENT, None),
        "insurer": _register(engine, "Mutualité de test", 12, "mutuality", (11, 1), Role.CLIENT,
                             None),
    }
    load_reference_file(engine)
    ids = _institution_ids(engine)
    credentials = {
        who: create_credentials(engine, institution_id=ids[numbers[who]], scopes=[Scope.CONSULT])
        for who in ("cpas", "other-cpas", "insurer")
    }
    served = hub_engine or engine
    settings = Settings(
        database_url=str(served.url), token_secret="soap-test-secret-0123456789abcdef",
        source_timeout_seconds=2.0,
        soap_client_addresses=((numbers["cpas"], "127.0.0.1/32"),),
        cbss_schemas_dir=CBSS / "XSD",
    )
    with ExitStack() as stack:
        url = stack.enter_context(serving(create_app(build_hub(settings, engine=served))))
        yield SoapNetwork(url=url, engine=engine, cbe=numbers, credentials=credentials)


def _institution_ids(engine: Engine) -> dict[str, int]:
    from carrefour.directory.services import list_institutions

    return {i.cbe: i.id for i in list_institutions(engine)}


def shared_path(*parts: str) -> Path:
    return CBSS.joinpath(*parts)
