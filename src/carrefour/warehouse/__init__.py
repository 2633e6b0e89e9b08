"""The data warehouse: statistics of the network computed with DuckDB from the journal (live
table and archive together), never from the data exchanged.

:func:`journal_connection` is the reader other features use (research extracts): a DuckDB
connection with a ``journal`` view over the live table and the archive.
"""

from carrefour.warehouse.reader import Span, journal_connection

__all__ = ["Span", "journal_connection"]
