"""The records of the sources added for the rest of the CPAS catalogue (seed 004): Limosa
(posted workers and their posting documents), the ONVA (annual holidays), LED (Flemish
qualification certificates) and VESTA (Flemish care insurance and home services). Same rules
as :mod:`carrefour.simulation.population.dossiers`: every draw is a hash of the NISS."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator

from carrefour.simulation.population.dossiers import (
    Record,
    age,
    alive,
    chance,
    days_before,
    employed,
    iso,
    rng_of,
)
from carrefour.simulation.population.households import REFERENCE_DATE, Household, Person
from carrefour.simulation.population.population import Population

POSTED_SHARE = 0.12  # of foreign nationals aged 18-66
FOREIGN_EMPLOYERS = (("Bouwbedrijf Kowalski Sp. z o.o.", "PL"), ("Transportes Lusitanos Lda", "PT"),
                     ("Montagebau Schneider GmbH", "DE"), ("Constructii Carpati SRL", "RO"),
                     ("Entreprise Lefort SARL", "FR"), ("Stavby Novak s.r.o.", "CZ"))
WORKPLACES = ("Chantier Tour Nord, 1000 Bruxelles", "Haven 1200, 2030 Antwerpen",
              "Zone industrielle, 6041 Gosselies", "Werf Zuid, 9000 Gent")


# --- Limosa: posted workers -----------------------------------------------------------------
def limosa(population: Population) -> dict[str, Iterator[Record]]:
    workers = [(person, _posted(person)) for person in population.persons if posted(person)]
    return {"files": ({"niss": p.niss, **record} for p, record in workers),
            "postings": (posting for _, record in workers for posting in _documents(record)),
            "names": _name_index(workers)}


def posted(person: Person) -> bool:
    return (person.nationality != "BE" and alive(person) and 18 <= age(person) <= 66
            and chance("limosa", person.niss) < POSTED_SHARE)


def _posted(person: Person) -> Record:
    rng = rng_of("limosa", person.niss)
    name, country = rng.choice(FOREIGN_EMPLOYERS)
    worker = {"niss": person.niss, "last_name": person.last_name,
              "first_names": list(person.first_names), "birth_date": iso(person.birth_date),
              "nationality": person.nationality}
    employer = {"name": name, "country": country, "vat": f"{country}{rng.randint(10**8, 10**9)}"}
    postings = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        start = days_before(rng, 10, 4 * 365)
        end = start + dt.timedelta(days=rng.randint(30, 360))
        postings.append({"posting_id": f"L{rng.randint(10**9, 10**10 - 1)}", "start": iso(start),
                         "end": iso(end), "workplace": rng.choice(WORKPLACES),
                         "belgian_client": f"0{rng.randint(200_000_000, 899_999_999)}"})
    postings.sort(key=lambda item: str(item["start"]))
    return {"worker": worker, "employer": employer, "postings": postings}


def _documents(record: Record) -> Iterator[Record]:
    for posting in record["postings"]:
        yield {"key": posting["posting_id"], **posting, "worker": record["worker"],
               "employer": record["employer"]}


def _name_index(workers: Iterable[tuple[Person, Record]]) -> Iterator[Record]:
    """One row per last name (upper case): the posted workers bearing it, for the search."""
    by_name: dict[str, list[Record]] = defaultdict(list)
    for person, record in workers:
        by_name[person.last_name.upper()].append({
            **record["worker"], "employer_name": record["employer"]["name"],
            "employer_country": record["employer"]["country"],
            "posting_ids": [p["posting_id"] for p in record["postings"]]})
    for name in sorted(by_name):
        yield {"key": name, "workers": by_name[name]}


# --- ONVA: annual holidays ------------------------------------------------------------------
def onva(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_holidays(p) for p in population.persons if employed(p) and alive(p))}


def _holidays(person: Person) -> Record:
    rng = rng_of("onva", person.niss)
    periods = []
    for year in (REFERENCE_DATE.year - 2, REFERENCE_DATE.year - 1):
        days = rng.choice((10, 15, 20, 20, 20))
        start = dt.date(year, rng.choice((7, 8)), rng.randint(1, 14))
        periods.append({"holiday_year": year, "days": days, "start": iso(start),
                        "end": iso(start + dt.timedelta(days=days + days // 5 * 2 - 1)),
                        "paid_on": iso(dt.date(year, 5, 31)),
                        "gross_amount": round(rng.uniform(900, 3_600), 2)})
    return {"niss": person.niss, "fund": "ONVA / RJV", "entitled_days": periods[-1]["days"],
            "periods": periods}


# --- LED: Flemish qualification certificates ------------------------------------------------
QUALIFICATIONS = (("secondary", "Diploma secundair onderwijs"),
                  ("bachelor", "Bachelor in het sociaal werk"),
                  ("bachelor", "Bachelor in de verpleegkunde"),
                  ("master", "Master in de rechten"),
                  ("vocational", "Beroepskwalificatie logistiek medewerker"),
                  ("adult-education", "Certificaat Nederlands tweede taal"))
SCHOOLS = ("Hogeschool Gent", "KU Leuven", "Centrum voor Volwassenenonderwijs Antwerpen",
           "Sint-Lucas Instituut", "Universiteit Antwerpen")


def led(population: Population) -> dict[str, Iterator[Record]]:
    flemish = (p for h in population.households if h.region.value == "flanders"
               for p in h.members if age(p) >= 18 and chance("led", p.niss) < 0.6)
    return {"files": (_certificates(p) for p in flemish)}


def _certificates(person: Person) -> Record:
    rng = rng_of("led", person.niss)
    certificates = []
    for _ in range(rng.choice((1, 1, 2))):
        level, title = rng.choice(QUALIFICATIONS)
        issued = person.birth_date + dt.timedelta(days=rng.randint(18 * 365, 30 * 365))
        certificates.append({"level": level, "title": title, "institution": rng.choice(SCHOOLS),
                             "issued_on": iso(min(issued, REFERENCE_DATE))})
    return {"niss": person.niss, "certificates": certificates}


# --- VESTA: Flemish care insurance and home services -----------------------------------------
CARE_FUNDS = ("CM-Zorgkas", "Zorgkas Solidariteit", "Zorgkas Vlaamse Zorgkas",
              "Zorgkas Onafhankelijke Ziekenfondsen")
HOME_SERVICES = ("gezinszorg", "poetsdienst", "aanvullende thuiszorg", "oppashulp")


def vesta(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_care(p, h) for h in population.households if h.region.value == "flanders"
                      for p in h.members if age(p) >= 25 and alive(p))}


def _care(person: Person, household: Household) -> Record:
    rng = rng_of("vesta", person.niss)
    budgets, services = [], []
    if age(person) >= 65 and rng.random() < 0.3:
        since = days_before(rng, 30, 5 * 365)
        budgets.append({"kind": "zorgbudget voor zwaar zorgbehoevenden", "start": iso(since),
                        "end": None, "monthly_amount": 140.0})
        provider = f"Thuiszorgdienst {household.address.municipality}"
        for kind in rng.sample(HOME_SERVICES, rng.randint(1, 2)):
            services.append({"kind": kind, "provider": provider,
                             "start": iso(since), "end": None,
                             "hours_per_week": rng.choice((2, 4, 6, 8))})
    record: Record = {"niss": person.niss, "affiliated": True,
                      "care_fund": rng.choice(CARE_FUNDS),
                      "contribution_paid": rng.random() < 0.95, "care_budgets": budgets}
    if services:  # a file at the home services only for who receives them
        record["services"] = services
    return record


# --- mutualities: enrolment at a medical house (flat-rate primary care) ---------------------
MEDICAL_HOUSE_SHARE = 0.05
MEDICAL_HOUSES = ("Maison médicale du Nord", "Maison médicale Les Marolles",
                  "Wijkgezondheidscentrum De Sleep", "Wijkgezondheidscentrum Botermarkt",
                  "Maison médicale La Passerelle")


def medical_house(niss: str) -> str | None:
    """The medical house a member is enrolled at, for about 5 % of the members."""
    draw = chance("medical-house", niss)
    if draw >= MEDICAL_HOUSE_SHARE:
        return None
    return MEDICAL_HOUSES[int(draw / MEDICAL_HOUSE_SHARE * len(MEDICAL_HOUSES))]
