"""The JSON shapes of the REST API (validated at the edge by pydantic)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NissText = Field(min_length=1, max_length=20, examples=["85073003328"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndUserIn(Strict):
    id: str = Field(min_length=1, max_length=100, description="The end user at the institution")
    role: str = Field(min_length=1, max_length=60, examples=["social-worker"])


class ConsultationIn(Strict):
    service: str = Field(min_length=1, max_length=80, examples=["legal-data"])
    version: int | None = None
    niss: str | None = Field(default=None, max_length=20, examples=["85073003328"])
    capacity: int = Field(ge=0, le=999, description="Quality code of the institution's file")
    end_user: EndUserIn
    parameters: dict[str, Any] = Field(default_factory=dict)


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
    niss: str | None
    status: str = Field(description="ok, or partial when a source failed")
    deliberation: str
    data: dict[str, Any]
    sources: list[SourceStatusOut]


class IntegrationIn(Strict):
    niss: str = NissText
    quality_code: int = Field(ge=0, le=999)
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


class ListedIntegrationOut(BaseModel):
    institution: str
    institution_name: str
    sector: int
    quality_code: int
    start: dt.date
    end: dt.date | None
    own: bool


class IntegrationListOut(BaseModel):
    ticket: str
    niss: str
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


class CredentialsIn(Strict):
    scopes: list[str] = Field(default_factory=lambda: ["consult"])


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
    quality_codes: list[int] = Field(min_length=1)
    service: str
    fields: list[str] = Field(min_length=1)
    valid_from: dt.date
    valid_until: dt.date | None = None


class DeliberationOut(DeliberationIn):
    id: int


class AvailabilityIn(Strict):
    service: str
    source_kind: str = Field(min_length=1, max_length=40)
    quality_codes: list[int] | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class BisPersonIn(Strict):
    last_name: str = Field(min_length=1, max_length=200, examples=["Nowak"])
    first_names: list[str] = Field(default_factory=list, max_length=10)
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
    address: dict[str, Any] | None = None
    end_user: EndUserIn


class BisChangesIn(Strict):
    changes: dict[str, Any] = Field(min_length=1)
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
