"""The journal's tables: the chained entries and the head that marks the chain's end."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
    text,
)

from carrefour.db import metadata
from carrefour.journal import partitions

# BIGINT on PostgreSQL (the hub journals billions of exchanges); on SQLite an INTEGER primary
# key, which is the rowid itself. Text columns are unbounded on purpose: an unexpectedly long
# value must never make the batch it travels in fail.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=False),
    Column("ticket", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("channel", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("client", Text, nullable=False),
    Column("end_user_id", Text),
    Column("end_user_role", Text),
    Column("service", Text),
    Column("niss", Text),
    Column("quality_code", Integer),
    Column("deliberation", Text),
    Column("sources", Text, nullable=False),  # JSON array of CBE numbers
    Column("outcome", Text, nullable=False),
    Column("duration_ms", Float(precision=53), nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("reference", Text),  # an event id: what the entry is about, when it has an id
    # 1: unkeyed SHA-256 link (written before the chain key), 2: HMAC-SHA256 with the chain key
    Column("format", SmallInteger, nullable=False, server_default=text("1")),
    Column("audit_digest", Text),  # an administrative change: SHA-256 of its audit rows
    Column("trace_id", Text),  # the OpenTelemetry trace id (32 hex digits), when traced
)
Index(None, journal_entries.c.ticket, unique=True)
Index(None, journal_entries.c.niss, journal_entries.c.seq)
Index(None, journal_entries.c.reference, journal_entries.c.seq)
Index(None, journal_entries.c.client, journal_entries.c.seq)  # a DPO's exchanges
partitions.install(journal_entries)  # PostgreSQL: by month, keys with occurred_at

# The states before and after of the objects an administrative change touched, one row per
# object, under the ticket of its journal entry (which hashes their digest into the chain).
audit_changes = Table(
    "audit_changes",
    metadata,
    Column("ticket", Text, primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("kind", Text, nullable=False),  # institution, credentials, deliberation...
    Column("key", Text, nullable=False),
    Column("before_state", Text),  # canonical JSON; null: the object did not exist
    Column("after_state", Text),  # canonical JSON; null: the object was deleted
)
Index(None, audit_changes.c.kind, audit_changes.c.key)

journal_head = Table(
    "journal_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),  # always 1
    Column("last_seq", SeqType, nullable=False),
    Column("last_hash", Text, nullable=False),
    Column("key_id", Text),  # the id of the chain key the journal is linked with
    CheckConstraint("id = 1", name="single_row"),
)

# The parts of the archive (``carrefour journal archive``): closed months moved to Parquet,
# one row per file, written in the transaction that deletes the entries it holds. A file of
# the archive folder without its row is what an interrupted run left: not part of the archive.
journal_archive = Table(
    "journal_archive",
    metadata,
    Column("month", Text, primary_key=True),  # YYYY-MM, of the entries' occurred_at (UTC)
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("path", Text, nullable=False),  # relative to the archive folder
    Column("entries", SeqType, nullable=False),
    Column("first_seq", SeqType, nullable=False),
    Column("last_seq", SeqType, nullable=False),
    Column("sha256", Text, nullable=False),  # of the file
    Column("archived_at", DateTime(timezone=True), nullable=False),
)
