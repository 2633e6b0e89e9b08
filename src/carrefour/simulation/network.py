"""The simulated social-security network, as data: which institutions exist, which of them are
simulated authentic sources (each an HTTP service of its own) and which are clients.

Enterprise (CBE) numbers all have valid check digits (``stdnum.be.vat``). ONEM's and the CBSS's
are the real institutions' numbers; the others are made up for the simulation.
"""

from __future__ import annotations

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
    # Mediprima: the CPAS's medical aid decisions (ManageCarmed), run for the SPP IS.
    _source("mediprima", MEDIPRIMA, "0209001346", ("Mediprima", "Mediprima"), (16, 2), 24),
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

DEMO_CPAS_SLUG = "cpas-bruxelles"
OPERATOR_SLUG = "operator"

NETWORK: tuple[SimulatedInstitution, ...] = (*SOURCES, HUB, *CLIENTS)


def institution(slug: str) -> SimulatedInstitution:
    """The member of the simulated network called ``slug``."""
    for member in NETWORK:
        if member.slug == slug:
            return member
    raise KeyError(f"no simulated institution called {slug!r}")


def mutualities() -> tuple[SimulatedInstitution, ...]:
    return tuple(s for s in SOURCES if s.kind == MUTUALITY)


def endpoint(member: SimulatedInstitution, *, base_port: int, host: str = "127.0.0.1") -> str:
    """Where a simulated source listens: ``http://host:{base_port + offset}``."""
    if member.port_offset is None:
        raise ValueError(f"{member.slug} is not a simulated source")
    return f"http://{host}:{base_port + member.port_offset}"
