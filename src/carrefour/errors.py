"""The one error hierarchy of Carrefour.

Every error a client can see is a :class:`CarrefourError` subclass with a stable ``code``
(a short kebab-case identifier that never changes once published), an HTTP ``status`` and a
``title`` a person understands. The ``detail`` says what was wrong with *this* request.
Adapters translate third-party errors into these at their boundary; entry points map them to
RFC 9457 problem documents (REST) or CBSS return codes (SOAP).
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar


class CarrefourError(Exception):
    """Base of every error Carrefour reports to a client."""

    code: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


# --- input -----------------------------------------------------------------------------------
class InvalidInput(CarrefourError):
    code = "invalid-input"
    status = 422
    title = "The request is not valid"


# --- derived rights --------------------------------------------------------------------------
class InvalidRuleFile(InvalidInput):
    """A rule file of derived rights refused whole; ``line`` is the line at fault."""

    code = "invalid-rule-file"
    title = "The rule file is not valid"

    def __init__(self, detail: str, *, line: int = 0) -> None:
        super().__init__(f"line {line}: {detail}", line=line)
        self.line = line


# --- lists ---------------------------------------------------------------------------------
class InvalidListDefinition(InvalidInput):
    """A list definition file refused whole: an unknown field, a format not offered, a
    deliberation that does not grant the data..."""

    code = "invalid-list-definition"
    title = "The list definition is not valid"


class UnknownList(CarrefourError):
    code = "unknown-list"
    status = 404
    title = "There is no such list or list file"


class NotListRecipient(CarrefourError):
    code = "not-list-recipient"
    status = 403
    title = "The list file is for another institution"


class ListExpired(CarrefourError):
    code = "list-expired"
    status = 410
    title = "The list file has expired"


class RangeNotSatisfiable(CarrefourError):
    code = "range-not-satisfiable"
    status = 416
    title = "The range asked lies outside the file"


class UnreadableBody(CarrefourError):
    code = "unreadable-body"
    status = 400
    title = "The request body cannot be read"


class InvalidNiss(InvalidInput):
    code = "invalid-niss"
    title = "The identification number (NISS) is not valid"


class InvalidCbeNumber(InvalidInput):
    code = "invalid-cbe-number"
    title = "The enterprise number (CBE) is not valid"


class InvalidCode(InvalidInput):
    code = "invalid-code"
    title = "The code is not in the code list"


class InvalidPeriod(InvalidInput):
    code = "invalid-period"
    title = "The period is not valid"


class InvalidXml(InvalidInput):
    code = "invalid-xml"
    title = "The XML document is malformed or was refused (DTD, entities, size, depth)"


class MissingValue(InvalidInput):
    code = "missing-value"
    title = "A mandatory value is missing or empty"


class ToleranceRequired(InvalidInput):
    code = "tolerance-required"
    title = "An incomplete birth date needs a tolerance"


class UnknownMutationType(InvalidInput):
    code = "unknown-mutation-type"
    title = "The mutation type is not in the list of mutation types"


class EndpointNotAllowed(InvalidInput):
    code = "endpoint-not-allowed"
    title = "The hub does not send to this endpoint (https on a public address, or allow-listed)"


class UnknownRole(InvalidInput):
    code = "unknown-role"
    title = "The end user's role is not in the list of roles of the institution's sector"


class EndDateRequired(InvalidPeriod):
    code = "end-date-required"
    title = "The quality code has no maximum duration: the integration needs an end date"


class PayloadTooLarge(CarrefourError):
    code = "payload-too-large"
    status = 413
    title = "The request body is too large"


class UnsupportedGrantType(InvalidInput):
    code = "unsupported-grant-type"
    status = 400
    title = "The OAuth2 grant type is not supported"


class InvalidScope(InvalidInput):
    code = "invalid-scope"
    status = 400
    title = "The requested scope exceeds what the client was granted"


# --- identity of the caller ------------------------------------------------------------------
class Unauthenticated(CarrefourError):
    code = "unauthenticated"
    status = 401
    title = "Authentication is required"


class InvalidCredentials(Unauthenticated):
    code = "invalid-credentials"
    title = "The client credentials are not valid"


class ClientRevoked(InvalidCredentials):
    code = "client-revoked"
    title = "The client credentials were revoked"


class TooManyAttempts(CarrefourError):
    """Carries ``retry_after`` (seconds) in ``extra``: the problem document's member and the
    ``Retry-After`` header."""

    code = "too-many-attempts"
    status = 429
    title = "Too many failed authentication attempts; wait before trying again"


class AuthenticationBusy(CarrefourError):
    code = "authentication-busy"
    status = 503
    title = "The hub is checking too many credentials at once; try again shortly"


class Forbidden(CarrefourError):
    code = "forbidden"
    status = 403
    title = "The institution may not do this"


class InstitutionDisabled(Forbidden):
    code = "institution-disabled"
    title = "The institution is disabled in the directory"


class NotAuthenticSource(Forbidden):
    code = "not-authentic-source"
    title = "The institution is not the authentic source of this kind of mutation"


class NotRecordOwner(Forbidden):
    code = "not-record-owner"
    title = "Only the institution that created the record, or the hub's operators, may change it"


# --- resources -------------------------------------------------------------------------------
class NotFound(CarrefourError):
    code = "not-found"
    status = 404
    title = "Not found"


class UnknownService(NotFound):
    code = "unknown-service"
    title = "The service is not in the catalogue"


class UnknownInstitution(NotFound):
    code = "unknown-institution"
    title = "The institution is not in the directory"


class UnknownPerson(NotFound):
    code = "unknown-person"
    title = "The person is not known"


class IdentityNotProven(CarrefourError):
    code = "identity-not-proven"
    status = 403
    title = "The proof of authentication does not match the person"


class Conflict(CarrefourError):
    code = "conflict"
    status = 409
    title = "The request conflicts with the current state"


class BisSerialsExhausted(Conflict):
    code = "bis-serials-exhausted"
    title = "No BIS number is left for this birth date and gender"


class IdentityMismatch(Conflict):
    code = "identity-mismatch"
    title = "The National Register's identity of the number does not match the BIS record"


class DeadLetterPurged(Conflict):
    code = "dead-letter-purged"
    title = "The dead letter's payload was purged after its retention; it cannot be replayed"


# --- Mediprima: medical aid decisions (carrefour/mediprima) ---------------------------------
class MediprimaOverlap(Conflict):
    code = "mediprima-overlap"
    title = "Another medical aid decision already covers this person for part of the period"


class MediprimaReferenceReused(Conflict):
    code = "mediprima-reference-reused"
    title = "The CPAS's decision reference is already used for another decision"


class MediprimaDecisionStopped(Conflict):
    code = "mediprima-decision-stopped"
    title = "The medical aid decision is stopped; it can no longer be changed"


class MediprimaRefused(Conflict):
    code = "mediprima-refused"
    title = "Mediprima refused the decision"


class MediprimaUnknownDecision(NotFound):
    code = "mediprima-unknown-decision"
    title = "The CPAS has no medical aid decision with this reference for this person"


# --- preventive control ----------------------------------------------------------------------
class NotIntegrated(CarrefourError):
    code = "not-integrated"
    status = 403
    title = "The institution holds no file on this person"


class IntegrationExpired(NotIntegrated):
    code = "integration-expired"
    title = "The institution's file on this person has expired"


class NoDeliberation(CarrefourError):
    code = "no-deliberation"
    status = 403
    title = "No deliberation authorises this exchange"


class DeliberationExpired(NoDeliberation):
    code = "deliberation-expired"
    title = "The deliberation authorising this exchange is no longer valid"


# --- sources ---------------------------------------------------------------------------------
class NoSource(CarrefourError):
    code = "no-source"
    status = 404
    title = "No authentic source holds data on this person for this service"


class SourceUnavailable(CarrefourError):
    code = "source-unavailable"
    status = 502
    title = "The authentic source is unavailable"


class SourceTimeout(SourceUnavailable):
    code = "source-timeout"
    status = 504
    title = "The authentic source did not answer in time"


# --- the hub itself --------------------------------------------------------------------------
class JournalUnavailable(CarrefourError):
    code = "journal-unavailable"
    status = 503
    title = "The journal cannot be written; the exchange was not carried out"


class JournalArchiveUnavailable(CarrefourError):
    code = "journal-archive-unavailable"
    status = 503
    title = "The journal's archive cannot be read"


# --- declarations (the CPAS as a data provider) ----------------------------------------------
class UnknownDeclarationType(NotFound):
    code = "unknown-declaration-type"
    title = "There is no such declaration type"


class UnknownDeclaration(NotFound):
    code = "unknown-declaration"
    title = "The authentic source holds no declaration with this reference from the declarant"


class NoFileOnPerson(NotIntegrated):
    code = "no-file-on-person"
    title = "The declarant holds no active file on the person in that capacity"


class ImpossiblePeriod(InvalidPeriod):
    code = "impossible-period"
    title = "The period declared is impossible"


class DeclarationTypeNotAllowed(Forbidden):
    code = "declaration-type-not-allowed"
    title = "The declarant's quality code does not allow this declaration"


class DeclarationConflict(Conflict):
    code = "declaration-conflict"
    title = "The declaration conflicts with the one the source holds under that reference"


# --- health --------------------------------------------------------------------------------
class NotReady(CarrefourError):
    code = "not-ready"
    status = 503
    title = "The hub is not ready to serve"


# --- the data warehouse (statistics) ---------------------------------------------------------
class InvalidGrouping(InvalidInput):
    code = "invalid-grouping"
    title = "The statistics cannot be grouped that way"


class UnknownStatistics(InvalidInput):
    code = "unknown-statistics"
    title = "There are no such statistics"


# --- research extracts (carrefour/research) --------------------------------------------------
class InvalidResearchProject(InvalidInput):
    """A research project refused at registration: its id, statuses, period or budget."""

    code = "invalid-research-project"
    title = "The research project is not valid"


class UnknownResearchVariable(InvalidInput):
    code = "unknown-research-variable"
    title = "The variable is not a research variable of the project"


class InvalidEpsilon(InvalidInput):
    code = "invalid-epsilon"
    title = "The privacy parameter epsilon is not valid"


class UnknownResearchProject(NotFound):
    code = "unknown-research-project"
    title = "There is no such research project"


class NotProjectResearcher(Forbidden):
    code = "not-project-researcher"
    title = "The research project belongs to another institution"


class ResearchNotGranted(NoDeliberation):
    code = "research-not-granted"
    title = "No valid deliberation grants this research use of the data"


class PrivacyBudgetExceeded(Conflict):
    code = "privacy-budget-exceeded"
    title = "The release would exceed the research project's privacy budget"


class AllCellsSuppressed(CarrefourError):
    """Every cell of a table counts fewer persons than the threshold: no table is released."""

    code = "all-cells-suppressed"
    status = 422
    title = "Every cell of the table would be suppressed (too few persons)"


ALL_ERRORS: tuple[type[CarrefourError], ...] = (
    CarrefourError,
    InvalidInput,
    UnreadableBody,
    InvalidNiss,
    InvalidCbeNumber,
    InvalidCode,
    InvalidPeriod,
    InvalidXml,
    MissingValue,
    ToleranceRequired,
    UnknownMutationType,
    EndpointNotAllowed,
    UnknownRole,
    EndDateRequired,
    PayloadTooLarge,
    UnsupportedGrantType,
    InvalidScope,
    Unauthenticated,
    InvalidCredentials,
    ClientRevoked,
    TooManyAttempts,
    AuthenticationBusy,
    Forbidden,
    InstitutionDisabled,
    NotAuthenticSource,
    NotRecordOwner,
    NotFound,
    UnknownService,
    UnknownInstitution,
    UnknownPerson,
    IdentityNotProven,
    Conflict,
    BisSerialsExhausted,
    IdentityMismatch,
    DeadLetterPurged,
    NotIntegrated,
    IntegrationExpired,
    NoDeliberation,
    DeliberationExpired,
    NoSource,
    SourceUnavailable,
    SourceTimeout,
    JournalUnavailable,
    JournalArchiveUnavailable,
    UnknownDeclarationType,
    UnknownDeclaration,
    NoFileOnPerson,
    ImpossiblePeriod,
    DeclarationTypeNotAllowed,
    DeclarationConflict,
    InvalidRuleFile,  # derived rights
    InvalidListDefinition,  # lists
    UnknownList,
    NotListRecipient,
    ListExpired,
    RangeNotSatisfiable,
    NotReady,
    InvalidGrouping,  # the data warehouse
    UnknownStatistics,
    InvalidResearchProject,  # research extracts
    UnknownResearchVariable,
    InvalidEpsilon,
    UnknownResearchProject,
    NotProjectResearcher,
    ResearchNotGranted,
    PrivacyBudgetExceeded,
    AllCellsSuppressed,
)


@functools.cache
def problem_codes() -> frozenset[str]:
    """The code of every error of the hierarchy (its subclasses too, listed in
    :data:`ALL_ERRORS` or not): what a journal outcome is when the hub refused a call."""
    found, pending = {CarrefourError.code}, [CarrefourError]
    while pending:
        for kind in pending.pop().__subclasses__():
            found.add(kind.code)
            pending.append(kind)
    return frozenset(found)
