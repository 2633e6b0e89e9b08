"""The databases of the simulated sources. Each kind of source has its own :class:`MetaData`
(never the hub's ``carrefour.db.metadata``): a source's database holds its tables only."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from carrefour.simulation.network import MEDIPRIMA, MUTUALITY, NATIONAL_REGISTER, ONEM
from carrefour.simulation.sources import declared, outbox, records
from carrefour.simulation.sources import mediprima as mediprima_register
from carrefour.simulation.sources.kinds import DECLARED_SERVICES

national_register = MetaData()
onem = MetaData()
mutuality = MetaData()

persons = Table(
    "persons",
    national_register,
    Column("niss", String(11), primary_key=True),
    Column("last_name", String(200), nullable=False, index=True),
    Column("first_names", JSON, nullable=False),  # list of first names, in order
    Column("birth_date", Date, nullable=False),
    Column("birth_place", String(200), nullable=True),
    Column("gender", String(1), nullable=False),
    Column("nationality", String(2), nullable=False),  # ISO 3166-1 alpha-2
    Column("civil_state", String(20), nullable=False),
    Column("street", String(200), nullable=False),
    Column("house_number", String(10), nullable=False),
    Column("box", String(10), nullable=True),
    Column("postal_code", String(4), nullable=False),
    Column("municipality", String(100), nullable=False),
    Column("death_date", Date, nullable=True),
    Column("household_id", String(20), nullable=False, index=True),
    Column("relationship", String(10), nullable=False),  # to the head: head, partner, child...
    Index("ix_persons_address", "postal_code", "street", "house_number"),  # search by address
)

# The keys of each distinct last name (not of each person: a register has far fewer names
# than persons). A search reads the names sharing a key, then the persons bearing them.
phonetic_keys = Table(
    "phonetic_keys",
    national_register,
    Column("key", Text, primary_key=True),
    Column("last_name", String(200), primary_key=True),  # (key, name): index-only lookup
)

unemployment_periods = Table(
    "unemployment_periods",
    onem,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("niss", String(11), nullable=False),
    Column("kind", String(10), nullable=False),  # complete or temporary
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),  # None: still running
    Column("days", Integer, nullable=True),  # days of temporary unemployment paid
    Column("daily_allowance_cents", Integer, nullable=False),
    Index("ix_unemployment_periods_niss_starts_on", "niss", "starts_on"),
)

members = Table(
    "members",
    mutuality,
    Column("niss", String(11), primary_key=True),
    Column("holder_code", String(7), nullable=False),  # CT1/CT2, e.g. 110/110
    Column("insured_from", Date, nullable=False),
    Column("insured_until", Date, nullable=True),
    Column("bim", Boolean, nullable=False),
    Column("bim_since", Date, nullable=True),
    Column("third_party_payer", Boolean, nullable=False),
    Column("medical_house", String(80), nullable=True),  # its name, when the member is enrolled
)

# The National Register and ONEM answer some services from records (kinds.RECORD_SERVICES).
records.attach(national_register, NATIONAL_REGISTER)
records.attach(onem, ONEM)

# The sources that receive declarations keep them in a table of their own, and the mutations
# they owe the hub in their outbox.
for _kind in DECLARED_SERVICES:
    declared.attach(records.SCHEMAS[_kind], _kind)
    outbox.attach(records.SCHEMAS[_kind], _kind)

SCHEMAS: dict[str, MetaData] = {
    NATIONAL_REGISTER: national_register,
    ONEM: onem,
    MUTUALITY: mutuality,
    **records.SCHEMAS,
    MEDIPRIMA: mediprima_register.metadata,
}

# The table whose rows are the persons a source has a file on (for its health check).
PERSON_TABLES: dict[str, Table] = {
    NATIONAL_REGISTER: persons,
    ONEM: unemployment_periods,
    MUTUALITY: members,
    **records.PERSON_TABLES,
    MEDIPRIMA: mediprima_register.versions,
}


def schema(kind: str) -> MetaData:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"no simulated source of kind {kind!r}") from None
