"""A database outage on the SOAP endpoints.

When the journal cannot be written (the database stopped, out of reach, or read-only) no
exchange is carried out, so the message as a whole is refused with a SOAP fault (``Server``)
that names the hub's stable code ``journal-unavailable`` and a ticket to quote: in the SSDN
result model (a ``c:ResultSummary``, reason 33000003) on the connector, in a
``CBSSFaultType`` (reason MSG00003) on RetrieveTIGroups. Never the generic "unexpected
internal error", and one line in the log, no traceback."""

from __future__ import annotations

import logging

from lxml import etree

from carrefour.db import describe_outage, is_outage
from carrefour.errors import JournalUnavailable
from carrefour.journal.chain import UNAVAILABLE
from carrefour.journal.entries import new_ticket
from carrefour.soap.codes import Detail, Severity, code_of
from carrefour.soap.envelope import Fault
from carrefour.soap.ssdn import result_summary

log = logging.getLogger(__name__)


def unavailable(error: BaseException, what: str) -> JournalUnavailable | None:
    """The journal's unavailability that ``error`` means — itself, or a database outage met
    outside any journaled use case — with its ticket, logged in one line; ``None`` when
    ``error`` is something else."""
    if isinstance(error, JournalUnavailable):
        ticket = str(error.extra.get("ticket") or new_ticket())
        log.error("%s refused: the journal cannot be written; ticket %s", what, ticket)
        return JournalUnavailable(error.detail, ticket=ticket)
    if is_outage(error):
        ticket = new_ticket()
        log.error("%s refused: the database is unavailable (%s); ticket %s",
                  what, describe_outage(error), ticket)
        return JournalUnavailable(UNAVAILABLE, ticket=ticket)
    return None


def ssdn_fault(error: JournalUnavailable) -> Fault:
    """The connector's fault: its detail is the SSDN result model of the refusal, with the
    ticket as the detail's information."""
    refusal = Detail(Severity.ERROR, code_of(error).reason, f"{error.code}: {error.detail}"[:500],
                     (("ticket", str(error.extra.get("ticket", ""))),))
    holder = etree.Element("detail")
    result_summary(holder, [refusal])
    return Fault("Server", error.detail, holder[0])
