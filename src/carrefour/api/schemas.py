"""The JSON shapes of the REST API (validated at the edge by pydantic)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from carrefour.limits import JSON_MAX_BYTES, JSON_MAX_DEPTH, check_json_object, check_no_nul

NissText = Field(min_length=1, max_length=20, examples=["85073003328"])
Name = Annotated[str, Field(min_length=1, max_length=80)]
QualityCode = Annotated[int, Field(ge=0, le=999)]


def _bounded(value: dict[str, Any]) -> dict[str, Any]:
    check_json_object(value)
    return value


FreeObject = Annotated[
    dict[str, Any],
    AfterValidator(_bounded),
    Field(
        description=f"A JSON object nested at most {JSON_MAX_DEPTH} levels deep and at most "
        f"{JSON_MAX_BYTES // 1024} KiB as JSON"
    ),
]
"""A free JSON object, bounded in size and depth (the one validator of every such field)."""


class Strict(BaseModel):
    """A request body: no member beyond those declared, no NUL character in any text."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        check_no_nul(data)
        return data


class EndUserIn(Strict):
    id: str = Field(
        min_length=1, max_length=100, description="The end user at the institution",
        examples=["sw-042"],
    )
    role: str = Field(min_length=1, max_length=60, examples=["social-worker"])


class ConsultationIn(Strict):
    service: str = Field(min_length=1, max_length=80, examples=["legal-data"])
    version: int | None = Field(default=None, ge=1, le=999)
    niss: str | None = Field(default=None, max_length=20, examples=["85073003328"])
    capacity: int = Field(
        ge=0, le=999, description="Quality code of the institution's file", examples=[2]
    )
    end_user: EndUserIn
    parameters: FreeObject = Field(default_factory=dict)


class SourceStatusOut(BaseModel):
    institution: str
    name: str
    kind: str
    status: str
    detail: str | None = None


class ConsultationOut(BaseModel):
    ticket: str
    service: str
    version: int
    niss: str | None = Field(description="The number asked about")
    status: str = Field(description="ok, or partial when a source failed")
    deliberation: str
    data: dict[str, Any]
    sources: list[SourceStatusOut]
    replaced_by: str | None = Field(
        None,
        description="When the number asked about was replaced (a BIS number), the number that "
        "replaced it: the one actually consulted",
    )


class IntegrationIn(Strict):
    niss: str = NissText
    quality_code: QualityCode = Field(examples=[2])
    start: dt.date | None = None
    end: dt.date | None = None
    end_user: EndUserIn


class IntegrationOut(BaseModel):
    ticket: str
    id: int
    niss: str
    quality_code: int
    start: dt.date
    end: dt.date | None
    capped: bool = Field(description="The end date was capped to the code's maximum duration")


def _granted(description: str) -> Any:
    return Field(default=None, description=f"{description}; absent when not granted")


class ListedIntegrationOut(BaseModel):
    """One active file on the person, with the fields the deliberation grants the caller for
    the holder's sector: a field not granted is absent (``end`` is null for a file without
    end date)."""

    sector: int | None = _granted("Sector of the institution holding the file")
    quality_code: int | None = _granted("Quality code (capacity) of the file")
    start: dt.date | None = _granted("First day of the file")
    end: dt.date | None = _granted("Last day of the file, null when open-ended")
    institution: str | None = _granted("CBE number of the institution holding the file")
    institution_name: str | None = _granted("Name of the institution holding the file")
    own: bool | None = _granted("Whether the file is the asking institution's own")


class IntegrationListOut(BaseModel):
    ticket: str
    niss: str
    deliberation: str = Field(description="The deliberation(s) that granted the listing")
    integrations: list[ListedIntegrationOut]


class TicketOut(BaseModel):
    ticket: str


class InstitutionIn(Strict):
    cbe: str = Field(min_length=10, max_length=16, examples=["0212345678"])
    name_fr: str = Field(min_length=1, max_length=200)
    name_nl: str = Field(min_length=1, max_length=200)
    sector: int = Field(ge=0, le=999)
    subsector: int = Field(default=0, ge=0, le=999)
    kind: str = Field(min_length=1, max_length=40, examples=["cpas"])
    role: str = Field(pattern="^(client|source|both)$")
    endpoint: str | None = Field(default=None, max_length=500)
    source_token: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, pattern="^[0-9]{4}$")
    name_de: str | None = Field(default=None, min_length=1, max_length=200,
                                description="The German name (default: the French one)")


class InstitutionOut(BaseModel):
    cbe: str
    name_fr: str
    name_nl: str
    sector: int
    subsector: int
    kind: str
    role: str
    endpoint: str | None
    postal_code: str | None
    active: bool = True
    name_de: str | None = None


class CredentialsIn(Strict):
    scopes: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=lambda: ["consult"], max_length=3
    )


class CredentialsOut(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once; only its hash is kept")


class CredentialsStateOut(BaseModel):
    client_id: str
    institution: str = Field(description="CBE number of the institution")
    scopes: list[str]
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class AuditOut(BaseModel):
    """One object's change and the journal entry that vouches for it."""

    seq: int
    ticket: str
    occurred_at: dt.datetime
    channel: str
    action: str
    client: str
    end_user_id: str | None
    end_user_role: str | None
    outcome: str
    kind: str
    key: str
    before: dict[str, Any] | None = Field(description="null: the object did not exist")
    after: dict[str, Any] | None = Field(description="null: the object was deleted")


class DeliberationIn(Strict):
    reference: str = Field(min_length=3, max_length=40, examples=["CSI/22/123"])
    title: str = Field(min_length=1, max_length=300)
    client_kind: str = Field(min_length=1, max_length=40)
    quality_codes: list[QualityCode] = Field(
        max_length=1000,
        description="The capacities (quality codes of the client's file) the grant allows; "
        "empty for a grant by area (the lists), under which no consultation goes.",
    )
    service: Name
    fields: list[Name] = Field(min_length=1, max_length=200)
    valid_from: dt.date
    valid_until: dt.date | None = None
    sectors: list[int] | None = Field(
        default=None,
        min_length=1,
        description="For a service whose items each carry a sector (person-integrations): "
        "the sectors whose items the grant covers; null for every sector. An item is shown "
        "with the fields of every valid grant covering its sector, and not at all when none "
        "does.",
    )
    confidential_days: int | None = Field(
        default=None, ge=1, le=36_600,
        description="Exchanges under the grant (inspection services, the police) are withheld "
        "from the person's 'who consulted my data' for so many days; null: shown at once.",
    )


class DeliberationOut(DeliberationIn):
    id: int


class AvailabilityIn(Strict):
    service: Name
    source_kind: str = Field(min_length=1, max_length=40)
    quality_codes: list[QualityCode] | None = Field(default=None, max_length=1000)


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class BisPersonIn(Strict):
    last_name: str = Field(min_length=1, max_length=200, examples=["Nowak"])
    first_names: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=10
    )
    birth_date: str = Field(
        min_length=4,
        max_length=10,
        examples=["1990-04-00"],
        description="YYYY-MM-DD; 00 for an unknown day or month",
    )
    gender: str = Field(default="U", pattern="^[MFU]$")
    birth_place: str | None = Field(default=None, max_length=200)
    nationality: str | None = Field(default=None, max_length=60)
    civil_state: str | None = Field(default=None, max_length=60)
    address: FreeObject | None = None
    end_user: EndUserIn


class BisChangesIn(Strict):
    changes: FreeObject = Field(min_length=1)
    end_user: EndUserIn


class ReplacementIn(Strict):
    new_niss: str = NissText
    reason: str = Field(default="registered in the National Register", max_length=200)
    end_user: EndUserIn


class BisPersonOut(BaseModel):
    ticket: str
    niss: str
    data: dict[str, Any]


class ReplacementOut(BaseModel):
    ticket: str
    old_niss: str
    new_niss: str
    replaced_at: dt.datetime
    reason: str
