"""The data warehouse: statistics of the network computed with DuckDB from the journal (live
table and archive together), never from the data exchanged.

:func:`journal_connection` is the reader other features use: a DuckDB connection with a
``journal`` view over the live table and the archive. (Research extracts, in
:mod:`carrefour.research`, use DuckDB the same way over the status buffer.)
"""

from carrefour.warehouse.reader import Span, journal_connection

__all__ = ["Span", "journal_connection"]
