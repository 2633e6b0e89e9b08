"""The records of the record sources (``kinds.RECORD_SERVICES``), drawn from the population.

Deterministic without a seed of their own: every draw is a hash of the person's NISS (itself
drawn from the seed), so one source can tell what another holds without sharing state, and
the sources' files stay consistent (a bridging right belongs to a self-employed person, the
social energy tariff follows BIM, a living wage or a disability allowance...). Dates are ISO
strings relative to :data:`REFERENCE_DATE`; shares follow the published orders of magnitude.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from carrefour.simulation.population.households import REFERENCE_DATE, Person

if TYPE_CHECKING:  # population.py draws the BIM status from the shared statuses below
    from carrefour.simulation.population.population import Population

Record = dict[str, Any]

SELF_EMPLOYED_SHARE = 0.16  # of persons aged 20-66
BRIDGING_SHARE = 0.42  # of the self-employed: about 4 % of all persons (2020-2021)
EMPLOYED_SHARE = 0.68  # of persons aged 18-66 with Dimona periods
LIVING_WAGE_SHARE = 0.022  # of persons aged 18-64
DISABILITY_SHARE = 0.05  # of adults
WAITING_SHARE = 0.05  # of foreign nationals

JOINT_COMMITTEES = (100, 111, 118, 124, 140, 200, 201, 302, 318, 322, 330)
WORKER_TYPES = (("OTH", "STU", "FLX", "EXT"), (86, 7, 4, 3))


def chance(kind: str, niss: str) -> float:
    """A number in [0, 1) drawn for the person and the purpose: the same each time."""
    return _hash(f"{kind}:{niss}") / 18_446_744_073_709_551_616


def rng_of(kind: str, niss: str) -> random.Random:
    return random.Random(_hash(f"{kind}#{niss}"))


def _hash(text: str) -> int:
    """64 bits of BLAKE2b (not CRC32: its draws for two purposes would be correlated)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def age(person: Person) -> int:
    return person.age_on(REFERENCE_DATE)


def alive(person: Person) -> bool:
    return person.alive_on(REFERENCE_DATE)


def days_before(rng: random.Random, low: int, high: int) -> dt.date:
    return REFERENCE_DATE - dt.timedelta(days=rng.randint(low, high))


# --- shared statuses (several sources agree on them) -----------------------------------------
def self_employed(person: Person) -> bool:
    return 20 <= age(person) <= 66 and chance("inasti", person.niss) < SELF_EMPLOYED_SHARE


def bridging_right(person: Person) -> bool:
    return self_employed(person) and chance("bridging", person.niss) < BRIDGING_SHARE


def employed(person: Person) -> bool:
    return 18 <= age(person) <= 66 and chance("onss", person.niss) < EMPLOYED_SHARE


def living_wage(person: Person) -> bool:
    return alive(person) and 18 <= age(person) <= 64 and chance("ris", person.niss) < (
        LIVING_WAGE_SHARE)


def disabled(person: Person) -> bool:
    return alive(person) and age(person) >= 18 and chance("dghan", person.niss) < DISABILITY_SHARE


# --- National Register: address history, waiting register ------------------------------------
STREETS = ("Rue de la Station", "Kerkstraat", "Rue du Moulin", "Dorpstraat", "Avenue Louise",
           "Stationsstraat", "Rue Haute", "Molenstraat", "Chaussée de Mons", "Nieuwstraat")


def national_register(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": _nr_files(population)}


def _nr_files(population: Population) -> Iterator[Record]:
    for household in population.households:
        current = household.address.as_dict()
        for person in household.members:
            yield {"niss": person.niss, **_nr_record(person, current)}


def _nr_record(person: Person, current: dict[str, str | None]) -> Record:
    rng = rng_of("address", person.niss)
    moves = min(rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0], max(0, age(person) // 8))
    since = person.birth_date if moves == 0 else days_before(rng, 30, 8 * 365)
    addresses = [{**current, "start": iso(since), "end": None}]
    for _ in range(moves):
        end = since - dt.timedelta(days=1)
        since = max(person.birth_date, end - dt.timedelta(days=rng.randint(200, 3000)))
        addresses.append({"street": rng.choice(STREETS), "number": str(rng.randint(1, 180)),
                          "box": None, "postal_code": current["postal_code"],
                          "municipality": current["municipality"], "start": iso(since),
                          "end": iso(end)})
        if since <= person.birth_date:
            break
    record: Record = {"addresses": addresses, "civil_states": civil_states(person)}
    if person.nationality != "BE" and chance("waiting", person.niss) < WAITING_SHARE:
        record.update(_waiting(rng))
    return record


def civil_states(person: Person) -> list[Record]:
    """The successive civil states of the person, the current one last (its own draws: the
    other records of the register do not change with it)."""
    single = {"state": "single", "start": iso(person.birth_date), "end": None}
    if person.civil_state == "single":
        return [single]
    rng = rng_of("civil", person.niss)
    adult = min(person.birth_date + dt.timedelta(days=18 * 366), REFERENCE_DATE
                - dt.timedelta(days=3))
    union = adult + dt.timedelta(days=rng.randint(0, max(0, (REFERENCE_DATE - adult).days - 2)))
    states = [{**single, "end": iso(union - dt.timedelta(days=1))}]
    kind = "legally-cohabiting" if person.civil_state == "legally-cohabiting" else "married"
    if person.civil_state in ("married", "legally-cohabiting"):
        return [*states, {"state": kind, "start": iso(union), "end": None}]
    ended = union + dt.timedelta(days=rng.randint(1, max(1, (REFERENCE_DATE - union).days)))
    return [*states, {"state": "married", "start": iso(union),
                      "end": iso(ended - dt.timedelta(days=1))},
            {"state": person.civil_state, "start": iso(ended), "end": None}]


def _waiting(rng: random.Random) -> Record:
    registered = days_before(rng, 60, 6 * 365)
    decided = registered + dt.timedelta(days=rng.randint(90, 700))
    status = "pending" if decided > REFERENCE_DATE else rng.choice(
        ("refugee", "subsidiary-protection", "refused"))
    decisions = [] if status == "pending" else [
        {"authority": "CGRA", "decision": status, "start": iso(decided), "end": None}]
    return {"registered_on": iso(registered), "procedure": "international-protection",
            "status": status, "decisions": decisions}


# --- ONEM: activation measures -----------------------------------------------------------------
def onem(population: Population) -> dict[str, Iterator[Record]]:
    running = {u.niss for u in population.unemployment if u.kind == "complete"}
    return {"files": (
        {"niss": niss, "measures": _measures(niss)} for niss in sorted(running)
        if chance("activation", niss) < 0.25)}


def _measures(niss: str) -> list[Record]:
    rng = rng_of("activation", niss)
    start = days_before(rng, 30, 900)
    end = start + dt.timedelta(days=rng.choice((180, 365, 730)))
    measure = rng.choice(("activa", "work-integration", "training-allowance", "art-60"))
    return [{"measure": measure, "start": iso(start), "end": iso(end),
             "monthly_amount": rng.randint(250, 1_050)}]


# --- ONSS: Dimona, DmfA, employer directory ---------------------------------------------------
def employers(population: Population) -> list[Record]:
    """The employers of the simulation: one for about every 40 persons."""
    count = max(50, len(population.persons) // 40)
    rng = random.Random(f"employers:{count}:{population.persons[0].niss}")
    places = [h.address for h in population.households[: count * 2]]
    return [_employer(rng, index, places) for index in range(count)]


def _employer(rng: random.Random, index: int, places: list[Any]) -> Record:
    base = 4_000_000 + index * 7
    place = rng.choice(places)
    name = f"{rng.choice(('Bati', 'Trans', 'Horeca', 'Clean', 'Data', 'Agro', 'Medi'))}" \
           f"{rng.choice(('bel', 'log', 'plus', 'pro', 'service', 'nova'))} {index}"
    return {
        "employer": f"{base:08d}{97 - base % 97:02d}",
        "name": f"{name} {rng.choice(('SRL', 'SA', 'BV', 'NV', 'ASBL'))}",
        "legal_form": rng.choice(("SRL", "SA", "ASBL", "SC")),
        "nace": rng.choice(("41.201", "47.111", "56.101", "81.210", "62.010", "86.101")),
        "address": {"street": rng.choice(STREETS), "number": str(rng.randint(1, 200)),
                    "postal_code": place.postal_code, "municipality": place.municipality},
        "joint_committees": [rng.choice(JOINT_COMMITTEES)],
        "workers": int(rng.paretovariate(1.1) * 3),
    }


def onss(population: Population) -> dict[str, Iterator[Record]]:
    directory = employers(population)
    return {
        "files": (_onss_record(p, directory) for p in population.persons if employed(p)),
        "employers": ({"key": e["employer"], **e} for e in directory),
    }


def _onss_record(person: Person, directory: list[Record]) -> Record:
    rng = rng_of("dimona", person.niss)
    periods = _dimona(rng, person, directory)
    last = periods[-1]
    return {
        "niss": person.niss, "periods": periods, "quarters": _dmfa(rng, periods),
        "employer": last["employer"], "employer_name": last["employer_name"],
        "joint_committee": last["joint_committee"], "worker_type": last["worker_type"],
        "start_date": last["start"], "end_date": last["end"],
    }


def _dimona(rng: random.Random, person: Person, directory: list[Record]) -> list[Record]:
    start = max(person.birth_date.replace(year=person.birth_date.year + 18, day=1),
                days_before(rng, 200, 12 * 365))
    periods = []
    for _ in range(rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]):
        employer = rng.choice(directory)
        end = start + dt.timedelta(days=rng.randint(30, 2_500))
        running = end >= REFERENCE_DATE
        periods.append({
            "employer": employer["employer"], "employer_name": employer["name"],
            "joint_committee": employer["joint_committees"][0],
            "worker_type": rng.choices(*WORKER_TYPES)[0],
            "start": iso(start), "end": None if running else iso(end),
        })
        if running:
            break
        start = end + dt.timedelta(days=rng.randint(1, 200))
        if start >= REFERENCE_DATE:
            break
    return periods


def _dmfa(rng: random.Random, periods: list[Record]) -> list[Record]:
    """The last eight quarters (2023-2024) worked, with wages and working time."""
    quarters = []
    fraction = rng.choice((1.0, 1.0, 0.8, 0.5))
    wage = rng.randint(7_500, 16_000)
    for year in (2023, 2024):
        for quarter in (1, 2, 3, 4):
            first = dt.date(year, 3 * quarter - 2, 1).isoformat()
            last = dt.date(year, 3 * quarter, 28).isoformat()
            for period in periods:
                if period["start"] <= last and (period["end"] is None or period["end"] >= first):
                    quarters.append({"quarter": f"{year}-{quarter}", "employer": period["employer"],
                                     "gross_wage": round(wage * fraction, 2),
                                     "days": round(65 * fraction), "working_time": fraction})
                    break
    return quarters


# --- INASTI: self-employed career, bridging right ---------------------------------------------
def inasti(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_inasti_record(p) for p in population.persons if self_employed(p))}


def _inasti_record(person: Person) -> Record:
    rng = rng_of("inasti", person.niss)
    start = days_before(rng, 100, min(40, age(person) - 19) * 365)
    stopped = rng.random() < 0.2
    end = days_before(rng, 1, (REFERENCE_DATE - start).days - 1) if stopped else None
    status = rng.choices(("main-occupation", "secondary", "helper"), (70, 22, 8))[0]
    decisions = _bridging(rng) if bridging_right(person) else []
    return {
        "niss": person.niss, "status": "stopped" if stopped else status,
        "start_date": iso(start), "end_date": iso(end),
        "contributions_regular": rng.random() < 0.88,
        "periods": [{"status": status, "fund": rng.choice(("Liantis", "Acerta", "Xerius",
                                                            "Partena", "UCM")),
                     "start": iso(start), "end": iso(end)}],
        "bridging_right": bool(decisions), "decisions": decisions,
    }


def _bridging(rng: random.Random) -> list[Record]:
    decisions = []
    start = dt.date(2020, 3, 1)
    for _ in range(rng.choices((1, 2, 3), (50, 35, 15))[0]):
        months = rng.randint(1, 6)
        end = start + dt.timedelta(days=30 * months - 1)
        decisions.append({"kind": rng.choice(("crisis-covid", "interruption", "cessation")),
                          "start": iso(start), "end": iso(end),
                          "monthly_amount": rng.choice((1_291.69, 1_614.10, 1_710.78))})
        start = end + dt.timedelta(days=rng.randint(20, 200))
    return decisions


# --- SPF Finances: tax assessments, real estate ----------------------------------------------
def spf_finances(population: Population) -> dict[str, Iterator[Record]]:
    return {"files": (_finances_record(p) for p in population.persons
                      if age(p) >= 18 and chance("tax", p.niss) < 0.88)}


def _finances_record(person: Person) -> Record:
    rng = rng_of("tax", person.niss)
    income = int(rng.lognormvariate(10.1, 0.6))
    household = income + (int(rng.lognormvariate(10.0, 0.7)) if rng.random() < 0.5 else 0)
    assessments = [{"income_year": year, "taxable_income": income + shift,
                    "tax_due": round(max(0, income + shift - 10_570) * 0.32, 2),
                    "assessed_on": f"{year + 1}-{rng.randint(6, 12):02d}-15"}
                   for year, shift in ((2021, -1_500), (2022, -700), (2023, 0))]
    record: Record = {"niss": person.niss, "last_income_year": 2023, "taxable_income": income,
                      "household_taxable_income": household, "assessments": assessments}
    if age(person) >= 25 and rng.random() < 0.55:
        record.update(_real_estate(rng))
    return record


def _real_estate(rng: random.Random) -> Record:
    parcels: list[Record] = [{"parcel": f"{rng.randint(11_001, 93_090)}A{rng.randint(1, 999):04d}",
                "nature": rng.choice(("house", "apartment", "land", "garage")),
                "cadastral_income": rng.randint(300, 2_400),
                "share": rng.choice((1.0, 0.5, 0.5, 0.25)),
                "acquired_on": f"{rng.randint(1975, 2024)}-{rng.randint(1, 12):02d}-01"}
               for _ in range(rng.choices((1, 2, 3), (75, 20, 5))[0])]
    total = sum(round(p["cadastral_income"] * p["share"]) for p in parcels)
    return {"parcels": parcels, "total_cadastral_income": total}
