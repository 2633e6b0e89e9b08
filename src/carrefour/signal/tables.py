"""Tables of the signal function: mutations received, subscriptions, and the outbox of
deliveries written in the same transaction as the mutation they carry.

Payloads (``data``) are kept only while delivery needs them: once every delivery of a mutation
is delivered, acknowledged, cancelled or dead past the retention, both are emptied (NULL) and
the mutation's ``purged_at`` is set; the rows keep their references (ids, event id, ticket,
source reference for idempotency, type, NISS, dates, states)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from carrefour.db import metadata

# BIGINT on PostgreSQL; on SQLite an INTEGER primary key, the rowid itself (autoincrementing).
IdType = BigInteger().with_variant(Integer(), "sqlite")

mutations = Table(
    "signal_mutations",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("ticket", String(36), nullable=False),
    Column("type", String(60), nullable=False),
    Column("niss", String(11), nullable=False),
    Column("source_id", ForeignKey("institutions.id"), nullable=True),  # None: the hub itself
    Column("source_ref", String(100), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("data", JSON(none_as_null=True), nullable=True),  # None once purged
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("purged_at", DateTime(timezone=True), nullable=True),  # payloads emptied then
    UniqueConstraint("source_id", "source_ref"),
)
# What the purge scans: the mutations whose payloads are still kept (a partial index).
Index(
    "ix_signal_mutations_unpurged_id",
    mutations.c.id,
    postgresql_where=mutations.c.purged_at.is_(None),
    sqlite_where=mutations.c.purged_at.is_(None),
)

subscriptions = Table(
    "signal_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", ForeignKey("institutions.id"), nullable=False),
    Column("mutation_type", String(60), nullable=False),
    Column("endpoint", Text, nullable=True),  # None: the subscriber pulls its feed
    Column("secret", Text, nullable=False),  # whsec_...: signs what is pushed
    Column("batch_max", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # set by the first failed attempt, cleared by the next success (which releases the rest)
    Column("failing_since", DateTime(timezone=True), nullable=True),
    Index("ix_signal_subscriptions_type", "mutation_type", "active"),
    Index("ix_signal_subscriptions_institution", "institution_id"),
)

deliveries = Table(
    "signal_deliveries",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("mutation_id", ForeignKey("signal_mutations.id"), nullable=False),
    Column("subscription_id", ForeignKey("signal_subscriptions.id"), nullable=False),
    Column("order_key", String(40), nullable=False),  # "institution:niss": delivered in order
    Column("mode", String(4), nullable=False),  # push | pull
    # push: pending -> delivered | dead | cancelled; pull: feed -> delivered | cancelled
    Column("state", String(10), nullable=False),
    Column("data", JSON(none_as_null=True), nullable=True),  # the granted fields; None: purged
    Column("quality_code", Integer, nullable=True),
    Column("deliberation", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),  # queued (again, on replay)
    Column("first_attempt_at", DateTime(timezone=True), nullable=True),  # dead-letter clock start
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),  # dead: when it died
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("leased_by", String(60), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_signal_deliveries_state_id", "state", "id"),
    Index("ix_signal_deliveries_order_key_state_id", "order_key", "state", "id"),
    Index("ix_signal_deliveries_subscription_id", "subscription_id", "id"),
    Index("ix_signal_deliveries_mutation_id", "mutation_id"),
)

expiry_notices = Table(
    "signal_expiry_notices",
    metadata,
    Column("integration_id", ForeignKey("integrations.id"), primary_key=True, autoincrement=False),
    Column("noticed_at", DateTime(timezone=True), nullable=False),
)
