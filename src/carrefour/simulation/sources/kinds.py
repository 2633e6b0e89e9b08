"""Which simulated source answers which services from its records, as data.

A *record source* keeps, per person, one file (a JSON document) whose top-level keys are the
fields of the services it answers; a service is answered with the fields the catalogue declares
for it (``services.toml``, ``services-cpas.toml``). A few services look a record up by another
key than the NISS (the ONSS employer directory: by enterprise number). The hand-written sources
(National Register, ONEM, mutualities) answer their core services from their own tables and
the services listed here from the same record engine.
"""

from __future__ import annotations

from dataclasses import dataclass

ONSS = "onss"
INASTI = "inasti"
SPF_FINANCES = "spf-finances"
DISABILITY = "disability"
FAMILY_ALLOWANCE = "family-allowance"
SPF_ECONOMY = "spf-economy"
PENSION_REGISTER = "pension-register"
REGIONAL_EMPLOYMENT = "regional-employment"
INAMI = "inami"
SPP_IS = "spp-is"
LIMOSA = "limosa"
ONVA = "onva"
LED = "led"
VESTA = "vesta"
MEDIPRIMA = "mediprima"  # not a record source: the register of the CPAS's medical aid decisions


@dataclass(frozen=True, slots=True)
class Lookup:
    """Where a service's record is: the table, and the parameter holding the key (None: the
    person's NISS)."""

    table: str = "files"
    parameter: str | None = None


PERSON = Lookup()
EMPLOYER = Lookup(table="employers", parameter="employer")
POSTING = Lookup(table="postings", parameter="posting_id")

# The services each kind of source answers from its records.
RECORD_SERVICES: dict[str, dict[str, Lookup]] = {
    "national-register": {"address-history": PERSON, "waiting-register": PERSON,
                          "civil-state-history": PERSON},
    "onem": {"activation": PERSON},
    ONSS: {"employment": PERSON, "dimona-periods": PERSON, "dmfa-quarters": PERSON,
           "employer-directory": EMPLOYER},
    INASTI: {"self-employed": PERSON, "self-employed-career": PERSON, "bridging-right": PERSON},
    SPF_FINANCES: {"tax-assessment": PERSON, "real-estate": PERSON},
    DISABILITY: {"disability-allowances": PERSON},
    FAMILY_ALLOWANCE: {"child-benefits": PERSON},
    SPF_ECONOMY: {"social-energy-tariff": PERSON},
    PENSION_REGISTER: {"pension-rights": PERSON, "pensions": PERSON},
    REGIONAL_EMPLOYMENT: {"job-seeker": PERSON},
    INAMI: {"work-incapacity": PERSON},
    SPP_IS: {"living-wage-attestations": PERSON},
    LIMOSA: {"posted-worker": PERSON, "posting-document": POSTING},
    ONVA: {"holiday-periods": PERSON},
    LED: {"qualification-certificates": PERSON},
    VESTA: {"care-insurance": PERSON, "home-services": PERSON},
}

# Record tables read by a hand-written handler rather than by a lookup (the Limosa search by
# name: one row per last name, upper case).
EXTRA_TABLES: dict[str, tuple[str, ...]] = {LIMOSA: ("names",)}

# Kinds of source that are record sources only (no hand-written tables).
RECORD_KINDS: tuple[str, ...] = (ONSS, INASTI, SPF_FINANCES, DISABILITY, FAMILY_ALLOWANCE,
                                 SPF_ECONOMY, PENSION_REGISTER, REGIONAL_EMPLOYMENT, INAMI,
                                 SPP_IS, LIMOSA, ONVA, LED, VESTA)


def record_tables(kind: str) -> tuple[str, ...]:
    """The record tables of a kind of source, in a stable order."""
    tables = {lookup.table for lookup in RECORD_SERVICES.get(kind, {}).values()}
    return tuple(sorted(tables | set(EXTRA_TABLES.get(kind, ()))))

# The kinds of source that receive declarations (``POST /v1/declare``, the declaration types of
# ``carrefour/declarations/types.toml``) and the consultation services answered from them.
DECLARED_SERVICES: dict[str, tuple[str, ...]] = {
    SPP_IS: ("living-wages", "heating-allowances", "water-allowances", "spp-decisions"),
    FAMILY_ALLOWANCE: ("family-allowance-advances",),
}
