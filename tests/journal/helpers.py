"""Helpers of the journal's tests: tampering with the journal as an intruder would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, delete, select, update

from carrefour.journal.codec import chain_hash, entry_from_row
from carrefour.journal.entries import JournalEntry
from carrefour.journal.tables import journal_entries, journal_head

NISS = "85073003328"
OTHER_NISS = "90010112395"

EntryFactory = Callable[..., JournalEntry]


def tamper(engine: Engine, seq: int, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(journal_entries).where(journal_entries.c.seq == seq).values(**values)
        )


def remove(engine: Engine, seq: int) -> None:
    with engine.begin() as connection:
        connection.execute(delete(journal_entries).where(journal_entries.c.seq == seq))


def remove_head(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(journal_head))


# --- rewriting history as an intruder would ---------------------------------------------------
Relink = Callable[[str, int, JournalEntry], str]


def plain_sha256(prev_hash: str, seq: int, entry: JournalEntry) -> str:
    """The link an intruder without the chain key computes: the unkeyed SHA-256 of format 1."""
    return chain_hash(prev_hash, seq, entry)


def rewrite(engine: Engine, seq: int, relink: Relink, *, format_: int | None = None,
            **values: Any) -> None:
    """Change entry ``seq``, then recompute its link, every later link and the head."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(journal_entries).where(journal_entries.c.seq >= seq)
            .order_by(journal_entries.c.seq)
        ).mappings().all()
        link = rows[0]["prev_hash"]
        for row in rows:
            entry = entry_from_row(row)
            if row["seq"] == seq:
                entry = replace(entry, **values)
            new_link = relink(link, row["seq"], entry)
            changes = {"prev_hash": link, "hash": new_link} | (values if row["seq"] == seq else {})
            if format_ is not None:
                changes["format"] = format_
            connection.execute(update(journal_entries)
                               .where(journal_entries.c.seq == row["seq"]).values(**changes))
            link = new_link
        connection.execute(update(journal_head).values(last_hash=link))


def truncate(engine: Engine, *, keep: int) -> None:
    """Delete every entry after ``keep`` and move the head back onto entry ``keep``."""
    with engine.begin() as connection:
        connection.execute(delete(journal_entries).where(journal_entries.c.seq > keep))
        last = connection.execute(
            select(journal_entries.c.hash).where(journal_entries.c.seq == keep)
        ).scalar_one()
        connection.execute(update(journal_head).values(last_seq=keep, last_hash=last))


def wipe(engine: Engine) -> None:
    """Delete every entry and the head."""
    with engine.begin() as connection:
        connection.execute(delete(journal_entries))
        connection.execute(delete(journal_head))
