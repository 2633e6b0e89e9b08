"""The journal: every exchange through the hub, append-only and hash-chained.

Use cases journal in their own transaction with :func:`append`; the exchange pipeline journals
through a :class:`JournalWriter`, which group-commits entries of concurrent requests.
"""

from carrefour.journal.chain import ChainHead, Problem, VerifyReport, append, verify
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.services import JournalRecord, by_niss, by_ticket
from carrefour.journal.writer import JournalWriter, record_now

__all__ = [
    "ChainHead",
    "JournalEntry",
    "JournalRecord",
    "JournalWriter",
    "Problem",
    "VerifyReport",
    "append",
    "by_niss",
    "by_ticket",
    "new_ticket",
    "record_now",
    "verify",
]
