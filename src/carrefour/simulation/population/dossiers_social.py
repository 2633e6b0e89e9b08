"""The records of the social-benefit sources: disability allowances, child benefits, social
energy tariff, pensions, job seekers (per region), work incapacity and living wages. Same rules
as :mod:`carrefour.simulation.population.dossiers`: every draw is a hash of the NISS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from carrefour.simulation.network import REGIONAL_SERVICES
from carrefour.simulation.population.dossiers import (
    Record,
    age,
    alive,
    chance,
    days_before,
    disabled,
    iso,
    living_wage,
    rng_of,
)
from carrefour.simulation.population.households import REFERENCE_DATE, Household, Person
from carrefour.simulation.population.population import Population

JOB_SEEKER_SHARE = 0.03  # of persons aged 18-64 without an unemployment allowance


# --- DG Persons with disabilities ------------------------------------------------------------
def disability(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_disability_record(p) for p in population.persons if disabled(p))}


def _disability_record(person: Person) -> Record:
    rng = rng_of("dghan", person.niss)
    since = days_before(rng, 60, 20 * 365)
    kinds = ("APA",) if age(person) >= 65 else rng.choice((("ARR",), ("AI",), ("ARR", "AI")))
    allowances = [{"kind": kind, "start": iso(since), "end": None,
                   "monthly_amount": rng.randint(120, 1_400)} for kind in kinds]
    return {"niss": person.niss, "recognised_since": iso(since), "points": rng.randint(7, 18),
            "allowances": allowances, "social_card": True}


# --- family allowance funds -----------------------------------------------------------------
FUNDS = {"flanders": "Opgroeien / Kids Vlaanderen", "wallonia": "FAMIWAL",
         "brussels": "Famiris"}


def family_allowance(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (record for household in population.households
                      if (record := _child_benefits(household)) is not None)}


def _child_benefits(household: Household) -> Record | None:
    children = [p for p in household.members
                if p.relationship == "child" and p.age_on(REFERENCE_DATE) < 25]
    if not children:
        return None
    recipient = household.head
    rng = rng_of("family", recipient.niss)
    listed: list[Record] = [{"niss": c.niss, "birth_date": iso(c.birth_date),
                             "relationship": "child"} for c in children]
    return {"niss": recipient.niss, "fund": FUNDS[household.region.value],
            "file_number": f"AF{rng.randint(10**7, 10**8 - 1)}", "children": listed}


# --- SPF Economy: social energy tariff ------------------------------------------------------
def spf_economy(population: Population) -> dict[str, Iterator[Record]]:
    bim = {i.niss for i in population.insurance if i.bim}
    return {"files": (record for person in population.persons
                      if (record := _energy(person, bim)) is not None)}


def _energy(person: Person, bim: set[str]) -> Record | None:
    if person.relationship != "head" or not alive(person):
        return None
    ground = ("living-wage" if living_wage(person) else "disability" if disabled(person)
              else "bim" if person.niss in bim else None)
    if ground is None:
        return None
    since = days_before(rng_of("energy", person.niss), 90, 6 * 365)
    quarters = [f"{year}-{quarter}" for year in (2023, 2024) for quarter in (1, 2, 3, 4)
                if dt.date(year, 3 * quarter, 1) >= since.replace(day=1)]
    return {"niss": person.niss, "entitled": True, "ground": ground, "since": iso(since),
            "quarters": quarters}


# --- pension register -----------------------------------------------------------------------
def pension_register(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_pension(p) for p in population.persons
                      if age(p) >= 65 and chance("pension", p.niss) < 0.97)}


def _pension(person: Person) -> Record:
    rng = rng_of("pension", person.niss)
    start = person.birth_date.replace(year=person.birth_date.year + 65, day=1)
    kind = "survivor" if person.civil_state == "widowed" and rng.random() < 0.6 else "retirement"
    institution = rng.choices(("SFP", "SdPSP", "INASTI"), (75, 15, 10))[0]
    amount = round(rng.uniform(1_150, 2_900), 2)
    grapa = rng.random() < 0.06
    return {
        "niss": person.niss, "pension_type": kind, "monthly_amount": amount,
        "start_date": iso(start),
        "pensions": [{"institution": institution, "kind": kind, "start": iso(start), "end": None,
                      "monthly_amount": amount}],
        "grapa": {"monthly_amount": round(rng.uniform(120, 700), 2)} if grapa else None,
    }


# --- regional employment services: job seekers ----------------------------------------------
@dataclass(frozen=True, slots=True)
class JobSeeker:
    niss: str
    service: str  # slug of VDAB, FOREM or ACTIRIS
    registered_since: dt.date


def job_seekers(population: Population) -> Iterator[JobSeeker]:
    """Registered job seekers at the service of their region: the complete unemployed, most
    living-wage beneficiaries, and a few others."""
    unemployed = {u.niss: u.starts_on for u in population.unemployment
                  if u.kind == "complete" and u.ends_on is None}
    for household in population.households:
        service = REGIONAL_SERVICES[household.region.value]
        for person in household.members:
            since = _registered(person, unemployed)
            if since is not None:
                yield JobSeeker(person.niss, service, since)


def _registered(person: Person, unemployed: dict[str, dt.date]) -> dt.date | None:
    if person.niss in unemployed:
        return unemployed[person.niss]
    if not (alive(person) and 18 <= age(person) <= 64):
        return None
    share = 0.6 if living_wage(person) else JOB_SEEKER_SHARE
    if chance("jobseeker", person.niss) >= share:
        return None
    return days_before(rng_of("jobseeker", person.niss), 20, 3 * 365)


def regional_employment(population: Population, service: str) -> dict[str, Iterator[Record]]:
    return {"files": (_job_seeker(seeker) for seeker in job_seekers(population)
                      if seeker.service == service)}


def _job_seeker(seeker: JobSeeker) -> Record:
    rng = rng_of("jobseeker-file", seeker.niss)
    category = rng.choices(("indemnified", "ris", "free", "young-in-waiting"), (55, 15, 20, 10))[0]
    history = [{"category": category, "start": iso(seeker.registered_since), "end": None}]
    if rng.random() < 0.3:
        end = seeker.registered_since - dt.timedelta(days=rng.randint(60, 900))
        history.insert(0, {"category": "free", "start": iso(end - dt.timedelta(days=200)),
                           "end": iso(end)})
    return {"niss": seeker.niss, "service": seeker.service.upper(), "registered": True,
            "registered_since": iso(seeker.registered_since), "category": category,
            "history": history}


# --- INAMI: work incapacity -----------------------------------------------------------------
def inami(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_incapacity(p) for p in population.persons
                      if 18 <= age(p) <= 64 and chance("inami", p.niss) < 0.09)}


def _incapacity(person: Person) -> Record:
    rng = rng_of("inami", person.niss)
    start = days_before(rng, 10, 4 * 365)
    long_term = rng.random() < 0.45
    days = rng.randint(380, 2_000) if long_term else rng.randint(14, 300)
    end = start + dt.timedelta(days=days)
    periods = [{"kind": "primary-incapacity", "start": iso(start),
                "end": iso(min(end, start + dt.timedelta(days=364))),
                "daily_allowance": round(rng.uniform(45, 95), 2)}]
    if long_term:
        periods.append({"kind": "invalidity", "start": iso(start + dt.timedelta(days=365)),
                        "end": None if end >= REFERENCE_DATE else iso(end),
                        "daily_allowance": round(rng.uniform(45, 95), 2)})
    return {"niss": person.niss, "currently_incapacitated": end >= REFERENCE_DATE,
            "periods": periods}


# --- SPP Social Integration: living-wage attestations ---------------------------------------
def spp_is(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_attestations(h, p) for h in population.households
                      for p in h.members if living_wage(p))}


def _attestations(household: Household, person: Person) -> Record:
    rng = rng_of("ris", person.niss)
    category = "isolated" if len(household.members) == 1 else rng.choice(
        ("cohabitant", "family"))
    amount = {"isolated": 1_304.78, "cohabitant": 869.85, "family": 1_763.29}[category]
    start = days_before(rng, 30, 4 * 365)
    attestations = []
    while start < REFERENCE_DATE:
        end = min(REFERENCE_DATE + dt.timedelta(days=180), start + dt.timedelta(days=364))
        attestations.append({"form": rng.choice(("A036", "L036")),
                             "cpas": household.address.municipality, "category": category,
                             "start": iso(start), "end": iso(end), "monthly_amount": amount})
        start = end + dt.timedelta(days=1)
    return {"niss": person.niss, "currently_entitled": True, "attestations": attestations}
