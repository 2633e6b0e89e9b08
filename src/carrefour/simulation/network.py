"""The simulated social-security network, as data: which institutions exist, which of them are
simulated authentic sources (each an HTTP service of its own) and which are clients.

Enterprise (CBE) numbers all have valid check digits (``stdnum.be.vat``). ONEM's and the CBSS's
are the real institutions' numbers; the others are made up for the simulation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from carrefour.directory.domain import Role
from carrefour.simulation.sources import kinds

NATIONAL_REGISTER = "national-register"
ONEM = "onem"
MUTUALITY = "mutuality"
BIS_REGISTER = "bis-register"
CPAS = "cpas"
OPERATOR = "operator"

REGIONAL_EMPLOYMENT = kinds.REGIONAL_EMPLOYMENT
MEDIPRIMA = kinds.MEDIPRIMA
SOURCE_KINDS = (NATIONAL_REGISTER, ONEM, MUTUALITY, *kinds.RECORD_KINDS, MEDIPRIMA)
BIS_REGISTER_ENDPOINT = "local:bis-register"


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedInstitution:
    """One member of the simulated network.

    ``slug`` names the institution in file names and on the command line; a simulated source
    listens on ``base_port + port_offset``. ``number`` is the mutuality's national number
    (100, 300...), ``postal_codes`` the area a CPAS serves (its first code is its seat).
    """

    slug: str
    kind: str
    cbe: str
    name_fr: str
    name_nl: str
    sector: int
    subsector: int
    role: Role
    port_offset: int | None = None
    number: int | None = None
    postal_codes: tuple[str, ...] = ()
    name_de: str | None = None

    @property
    def simulated_source(self) -> bool:
        return self.port_offset is not None

    @property
    def display_name(self) -> str:
        if self.name_fr == self.name_nl:
            return self.name_fr
        return f"{self.name_fr} / {self.name_nl}"


def _source(slug: str, kind: str, cbe: str, names: tuple[str, str], sector: tuple[int, int],
            offset: int, number: int | None = None) -> SimulatedInstitution:
    return SimulatedInstitution(
        slug=slug, kind=kind, cbe=cbe, name_fr=names[0], name_nl=names[1], sector=sector[0],
        subsector=sector[1], role=Role.SOURCE, port_offset=offset, number=number,
    )


def _client(slug: str, kind: str, cbe: str, names: tuple[str, str], sector: tuple[int, int],
            postal_codes: tuple[str, ...] = ()) -> SimulatedInstitution:
    return SimulatedInstitution(
        slug=slug, kind=kind, cbe=cbe, name_fr=names[0], name_nl=names[1], sector=sector[0],
        subsector=sector[1], role=Role.CLIENT, postal_codes=postal_codes,
    )


SOURCES: tuple[SimulatedInstitution, ...] = (
    _source("national-register", NATIONAL_REGISTER, "0362475538",
            ("Registre national", "Rijksregister"), (0, 0), 1),
    _source("onem", ONEM, "0206737484",
            ("Office national de l'emploi", "Rijksdienst voor Arbeidsvoorziening"), (18, 0), 2),
    _source("mc-cm", MUTUALITY, "0411702543",
            ("Mutualité chrétienne", "Christelijke Mutualiteit"), (11, 1), 3, number=100),
    _source("solidaris", MUTUALITY, "0411724220",
            ("Solidaris", "Solidaris"), (11, 1), 4, number=300),
    _source("mutualites-libres", MUTUALITY, "0411766483",
            ("Mutualités Libres", "Onafhankelijke Ziekenfondsen"), (11, 1), 5, number=500),
    # The sources of the CPAS catalogue (services-cpas.toml), answering from records; offsets
    # from 11 (9 is the demo CPAS application's).
    _source("onss", kinds.ONSS, "0209000158",
            ("Office national de sécurité sociale", "Rijksdienst voor Sociale Zekerheid"),
            (12, 0), 11),
    _source("inasti", kinds.INASTI, "0209000257",
            ("Institut national d'assurances sociales pour travailleurs indépendants",
             "Rijksinstituut voor de Sociale Verzekeringen der Zelfstandigen"), (15, 0), 12),
    _source("spf-finances", kinds.SPF_FINANCES, "0209000356",
            ("SPF Finances", "FOD Financiën"), (50, 0), 13),
    _source("dg-handicap", kinds.DISABILITY, "0209000455",
            ("DG Personnes handicapées", "DG Personen met een handicap"), (16, 0), 14),
    _source("famiwal", kinds.FAMILY_ALLOWANCE, "0209000554",
            ("Caisses d'allocations familiales", "Kinderbijslagfondsen"), (7, 1), 15),
    _source("spf-economie", kinds.SPF_ECONOMY, "0209000653",
            ("SPF Économie (tarif social)", "FOD Economie (sociaal tarief)"), (70, 3), 16),
    _source("pension-register", kinds.PENSION_REGISTER, "0209000752",
            ("Cadastre des pensions", "Pensioenkadaster"), (22, 0), 17),
    _source("vdab", REGIONAL_EMPLOYMENT, "0209000851",
            ("VDAB", "Vlaamse Dienst voor Arbeidsbemiddeling en Beroepsopleiding"), (53, 0), 18),
    _source("forem", REGIONAL_EMPLOYMENT, "0209000950",
            ("Le Forem", "Le Forem"), (55, 0), 19),
    _source("actiris", REGIONAL_EMPLOYMENT, "0209001049",
            ("Actiris", "Actiris"), (54, 0), 20),
    _source("inami", kinds.INAMI, "0209001148",
            ("Institut national d'assurance maladie-invalidité",
             "Rijksinstituut voor Ziekte- en Invaliditeitsverzekering"), (21, 0), 21),
    _source("spp-is", kinds.SPP_IS, "0209001247",
            ("SPP Intégration sociale", "POD Maatschappelijke Integratie"), (16, 2), 22),
    # The rest of the CPAS catalogue (seed 004): Limosa, annual holidays, Flemish sources;
    # in the free offsets 6, 7, 8 and 10.
    _source("limosa", kinds.LIMOSA, "0209001346",
            ("Limosa (ONSS, travailleurs détachés)", "Limosa (RSZ, gedetacheerde werknemers)"),
            (12, 1), 6),
    _source("onva", kinds.ONVA, "0209001445",
            ("Office national des vacances annuelles", "Rijksdienst voor Jaarlijkse Vakantie"),
            (10, 0), 7),
    _source("led", kinds.LED, "0209001544",
            ("LED (Leer- en Ervaringsbewijzen Databank)", "Leer- en Ervaringsbewijzen Databank"),
            (40, 3), 8),
    _source("vesta", kinds.VESTA, "0209001643",
            ("VESTA (Protection sociale flamande)", "VESTA (Vlaamse sociale bescherming)"),
            (40, 1), 10),
    # Mediprima: the CPAS's medical aid decisions (ManageCarmed), run for the SPP IS.
    _source("mediprima", MEDIPRIMA, "0209001742", ("Mediprima", "Mediprima"), (16, 2), 24),
)

# The regional employment service of each region (job-seeker files, by the person's region).
REGIONAL_SERVICES: dict[str, str] = {"flanders": "vdab", "wallonia": "forem",
                                     "brussels": "actiris"}

HUB = SimulatedInstitution(
    slug="cbss", kind=BIS_REGISTER, cbe="0206731645",
    name_fr="Banque Carrefour de la sécurité sociale",
    name_nl="Kruispuntbank van de Sociale Zekerheid",
    sector=25, subsector=0, role=Role.SOURCE,
)

CLIENTS: tuple[SimulatedInstitution, ...] = (
    _client("cpas-bruxelles", CPAS, "0212000032", ("CPAS de Bruxelles", "OCMW van Brussel"),
            (17, 1), ("1000", "1020", "1120", "1130")),
    _client("ocmw-antwerpen", CPAS, "0207000077", ("CPAS d'Anvers", "OCMW Antwerpen"),
            (17, 1), ("2000", "2018", "2020", "2030", "2050", "2060", "2100", "2140", "2170")),
    _client("ocmw-gent", CPAS, "0216000093", ("CPAS de Gand", "OCMW Gent"),
            (17, 1), ("9000", "9030", "9031", "9032", "9040", "9041", "9042", "9050", "9051")),
    _client("cpas-charleroi", CPAS, "0207500024", ("CPAS de Charleroi", "OCMW Charleroi"),
            (17, 1), ("6000", "6001", "6010", "6020", "6030", "6031", "6032", "6040", "6060")),
    _client("cpas-liege", CPAS, "0208000068", ("CPAS de Liège", "OCMW Luik"),
            (17, 1), ("4000", "4020", "4030", "4031", "4032")),
    _client("operator", OPERATOR, "0206700070",
            ("Carrefour - exploitation", "Carrefour - exploitatie"), (25, 0)),
)

# The clients of the CPAS's data (seed 004, part 3): each of its own kind, with the
# deliberations of authorizations-cpas.toml ("clients of CPAS data"). Outside social security
# (the STIB, the social housing companies...) a client integrates its own customers first.
STIB = "stib"
CPAS_DATA_CLIENTS: tuple[SimulatedInstitution, ...] = (
    _client("stib", STIB, "0209401026", ("STIB", "MIVB"), (94, 0)),
    _client("opgroeien", "opgroeien", "0209402016",
            ("Opgroeien régie", "Opgroeien regie"), (7, 2)),
    _client("orint", "orint", "0209403006", ("ORINT", "ORINT"), (7, 3)),
    _client("inasti-contributions", "inasti", "0209404093",
            ("INASTI - cotisations", "RSVZ - bijdragen"), (15, 0)),
    _client("studietoelagen", "study-grants", "0209405083",
            ("Allocations d'études de la Communauté flamande", "Afdeling Studietoelagen"),
            (40, 2)),
    _client("onva", "onva", "0209406073",
            ("Office national des vacances annuelles", "Rijksdienst voor Jaarlijkse Vakantie"),
            (10, 0)),
    _client("office-etrangers", "foreigners-office", "0209407063",
            ("Office des étrangers", "Dienst Vreemdelingenzaken"), (36, 1)),
    _client("spf-finances-contributions", "tax-administration", "0209408053",
            ("SPF Finances - contributions directes", "FOD Financiën - directe belastingen"),
            (50, 1)),
    _client("inspection-sociale", "social-inspection", "0209409043",
            ("SPF ETCS - inspection sociale", "FOD WASO - sociale inspectie"), (26, 1)),
    _client("slrb", "social-housing", "0209410033",
            ("Société du Logement de la Région de Bruxelles-Capitale",
             "Brusselse Gewestelijke Huisvestingsmaatschappij"), (48, 0)),
    _client("swl", "social-housing", "0209411023",
            ("Société wallonne du logement", "Waalse Huisvestingsmaatschappij"), (47, 0)),
    _client("ibpt", "ibpt", "0209412013",
            ("Institut belge des services postaux et des télécommunications",
             "Belgisch Instituut voor postdiensten en telecommunicatie"), (44, 0)),
    _client("vlabel", "vlabel", "0209413003",
            ("Service flamand des impôts", "Vlaamse Belastingdienst"), (61, 0)),
    _client("vlaams-woningfonds", "housing-fund", "0209414090",
            ("Fonds flamand du logement", "Vlaams Woningfonds"), (87, 0)),
    _client("spf-justice", "spf-justice", "0209415080",
            ("SPF Justice", "FOD Justitie"), (75, 0)),
)
# A researcher (seed 000: the data warehouse's research extracts), with the research
# deliberation of authorizations.toml: it registers no file on anyone.
UNIVERSITY = "university"
RESEARCHER_SLUG = "kuleuven-research"
RESEARCHERS: tuple[SimulatedInstitution, ...] = (
    _client(RESEARCHER_SLUG, UNIVERSITY, "0209416070",
            ("KU Leuven - recherche sociale", "KU Leuven - sociaal onderzoek"), (40, 3)),
)
CLIENTS = (*CLIENTS, *CPAS_DATA_CLIENTS, *RESEARCHERS)

DEMO_CPAS_SLUG = "cpas-bruxelles"
OPERATOR_SLUG = "operator"

NETWORK: tuple[SimulatedInstitution, ...] = (*SOURCES, HUB, *CLIENTS)

# The German names of the members (the sector list has French and Dutch names only).
GERMAN_NAMES: dict[str, str] = {
    "national-register": "Nationalregister", "onem": "Landesamt für Arbeitsbeschaffung",
    "mc-cm": "Christliche Krankenkasse", "solidaris": "Solidaris",
    "mutualites-libres": "Freie Krankenkassen", "onss": "Landesamt für soziale Sicherheit",
    "inasti": "Landesinstitut der Sozialversicherungen für Selbständige",
    "spf-finances": "FÖD Finanzen", "dg-handicap": "GD Personen mit Behinderung",
    "famiwal": "Kindergeldkassen", "spf-economie": "FÖD Wirtschaft (Sozialtarif)",
    "pension-register": "Pensionskataster", "vdab": "VDAB", "forem": "Le Forem",
    "actiris": "Actiris", "inami": "Landesinstitut für Kranken- und Invalidenversicherung",
    "spp-is": "ÖPD Sozialeingliederung", "cbss": "Zentrale Datenbank der sozialen Sicherheit",
    "cpas-bruxelles": "ÖSHZ Brüssel", "ocmw-antwerpen": "ÖSHZ Antwerpen",
    "ocmw-gent": "ÖSHZ Gent", "cpas-charleroi": "ÖSHZ Charleroi", "cpas-liege": "ÖSHZ Lüttich",
    "operator": "Carrefour - Betrieb", RESEARCHER_SLUG: "KU Leuven - Sozialforschung",
}


def institution(slug: str) -> SimulatedInstitution:
    """The member of the simulated network called ``slug``."""
    for member in NETWORK:
        if member.slug == slug:
            return member
    raise KeyError(f"no simulated institution called {slug!r}")


def mutualities() -> tuple[SimulatedInstitution, ...]:
    return tuple(s for s in SOURCES if s.kind == MUTUALITY)


SOURCE_HOST = "CARREFOUR_SIMULATION_SOURCE_HOST"  # e.g. a container's name (deploy/compose.yaml)


def endpoint(member: SimulatedInstitution, *, base_port: int, host: str | None = None) -> str:
    """Where a simulated source listens: ``http://host:{base_port + offset}``; the host is
    ``CARREFOUR_SIMULATION_SOURCE_HOST`` when set, else the loopback address."""
    if member.port_offset is None:
        raise ValueError(f"{member.slug} is not a simulated source")
    host = host or os.environ.get(SOURCE_HOST) or "127.0.0.1"
    return f"http://{host}:{base_port + member.port_offset}"
