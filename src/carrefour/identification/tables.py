"""Tables of the hub's BIS register: persons, their phonetic keys, serial counters, NISS history."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from carrefour.db import metadata

bis_persons = Table(
    "bis_persons",
    metadata,
    Column("niss", String(11), primary_key=True),
    Column("last_name", String(200), nullable=False),
    Column("first_names", JSON, nullable=False),  # list of first names, in order
    Column("birth_date", Date, nullable=True),  # only when day and month are known
    Column("birth_date_text", String(10), nullable=False),  # as given: 1970-00-00
    Column("birth_date_earliest", Date, nullable=False),  # range the incomplete date spans,
    Column("birth_date_latest", Date, nullable=False),  # for searches with a tolerance
    Column("gender", String(1), nullable=False),
    Column("nationality", String(50), nullable=True),
    Column("birth_place", String(200), nullable=True),
    Column("civil_state", String(50), nullable=True),
    Column("address", JSON, nullable=True),
    Column("death_date_text", String(10), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(10), nullable=False),  # CBE number of the institution
    Column("replaced_by", String(11), nullable=True),
    Column("replaced_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("gender IN ('M', 'F', 'U')", name="gender"),
)

bis_phonetic_keys = Table(
    "bis_phonetic_keys",
    metadata,
    Column(
        "niss", String(11), ForeignKey("bis_persons.niss", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", Text, primary_key=True),
    # copies of the person's search columns, so that a search is one index-only scan;
    # a replaced person's keys are deleted (it is no longer searchable)
    Column("gender", String(1), nullable=False),
    Column("birth_date_earliest", Date, nullable=False),
    Column("birth_date_latest", Date, nullable=False),
    Index(
        "ix_bis_phonetic_keys_search",
        "key",
        "birth_date_earliest",
        "birth_date_latest",
        "gender",
        "niss",
    ),
)

bis_serials = Table(
    "bis_serials",
    metadata,
    Column("prefix", String(6), primary_key=True),  # YYMMDD, month + 20 or + 40
    Column("parity", String(4), primary_key=True),  # odd, even or any
    Column("last_serial", Integer, nullable=False),  # the last serial handed out
)

niss_history = Table(
    "niss_history",
    metadata,
    Column("old_niss", String(11), primary_key=True),  # a number is replaced once
    Column("new_niss", String(11), nullable=False, index=True),
    Column("replaced_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(500), nullable=False),
)
