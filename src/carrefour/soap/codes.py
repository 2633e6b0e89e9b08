"""How the hub's refusals and errors read in the CBSS formats: the one mapping table.

Each stable error code of :mod:`carrefour.errors` maps to an SSDN reason code (8 digits whose
first digit is the severity: 1 information, 2 warning, 3 error) and to a RetrieveTIGroups
(Tx25) status (``value`` and ``code``), or to a SOAP fault for technical errors. The table is
documented in ``docs/cbss-compatibility.md``; a test keeps both in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carrefour.errors import CarrefourError


class Severity(StrEnum):
    INFORMATION = "INFORMATION"
    WARNING = "WARNING"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class Detail:
    """One ``Detail`` of an SSDN ``ResultSummary``."""

    severity: Severity
    reason: str
    diagnostic: str
    information: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Code:
    reason: str  # SSDN ReasonCode
    tx25_value: str | None  # Tx25 status value; None: answered with a CBSSFaultType fault
    tx25_code: str  # Tx25 status code or fault reasonCode
    context: bool = False  # refuses the whole SSDN message, not one service request


DATA_FOUND, NO_DATA_FOUND, NO_RESULT = "DATA_FOUND", "NO_DATA_FOUND", "NO_RESULT"

ERRORS: dict[str, Code] = {
    # the request
    "invalid-input": Code("31000001", NO_RESULT, "MSG00008"),
    "invalid-xml": Code("31000002", None, "MSG00008"),
    "invalid-niss": Code("31000003", NO_RESULT, "MSG00008"),
    "invalid-code": Code("31000004", NO_RESULT, "MSG00008"),
    "invalid-period": Code("31000005", NO_RESULT, "MSG00008"),
    "invalid-cbe-number": Code("31000006", NO_RESULT, "MSG00008"),
    "missing-value": Code("31000007", NO_RESULT, "MSG00008"),
    "tolerance-required": Code("31009001", NO_RESULT, "MSG00008"),
    "unknown-service": Code("31000010", NO_RESULT, "MSG00008"),
    # the caller
    "unauthenticated": Code("30100001", None, "MSG00002", context=True),
    "invalid-credentials": Code("30100002", None, "MSG00002", context=True),
    "unknown-institution": Code("30100003", None, "MSG00002", context=True),
    "forbidden": Code("30100004", NO_RESULT, "MSG00011"),
    "client-revoked": Code("30100005", None, "MSG00002", context=True),
    "institution-disabled": Code("30100006", None, "MSG00002", context=True),
    "too-many-attempts": Code("30100007", None, "MSG00002", context=True),
    "authentication-busy": Code("33000004", None, "MSG00003", context=True),
    # persons and the directory
    "not-found": Code("31000020", NO_DATA_FOUND, "MSG00001"),
    "unknown-person": Code("31007002", NO_DATA_FOUND, "MSG00001"),
    "no-source": Code("31007003", NO_DATA_FOUND, "MSG00001"),
    "identity-not-proven": Code("32007007", NO_RESULT, "MSG00011"),
    "conflict": Code("31000030", NO_RESULT, "MSG00014"),
    # preventive control
    "not-integrated": Code("32000001", NO_RESULT, "MSG00012"),
    "integration-expired": Code("32000002", NO_RESULT, "MSG00012"),
    "no-deliberation": Code("32000003", NO_RESULT, "MSG00013"),
    "deliberation-expired": Code("32000004", NO_RESULT, "MSG00013"),
    # technical
    "source-unavailable": Code("33000001", None, "MSG00005"),
    "source-timeout": Code("33000002", None, "MSG00006"),
    "journal-unavailable": Code("33000003", None, "MSG00003"),
    "internal-error": Code("39999999", None, "MSG00003"),
}

# Reason codes that are not errors of the hub.
CONTEXT_WARNING = "20000001"  # a service request produced a warning
CONTEXT_ERROR = "30000001"  # a service request produced an error
TICKETS = "10000100"  # the journal tickets of the exchanges a service request made
IDENTITY_VERIFIED = "12007001"
PHONETIC_IGNORED = "21007001"  # SSIN and phonetic criteria both given
PERSON_DATA_MISMATCH = "22007007"
CARD_NOT_CHECKED = "22007008"  # the register holds no card numbers to check against
NO_WAIT_REGISTER = "11007001"  # the register holds no waiting-register data for the person
TX25_SUCCESS = "MSG00000"


def code_of(error: CarrefourError) -> Code:
    """The mapping of an error: that of its own code, else of the nearest parent's."""
    for kind in type(error).__mro__:
        found = ERRORS.get(getattr(kind, "code", ""))
        if found is not None:
            return found
    return ERRORS["internal-error"]


def error_detail(error: CarrefourError) -> Detail:
    """The Detail of a refusal (its journal ticket is listed with the service's tickets)."""
    return Detail(Severity.ERROR, code_of(error).reason, _diagnostic(error))


def _diagnostic(error: CarrefourError) -> str:
    return f"{error.code}: {error.detail}"[:500]
