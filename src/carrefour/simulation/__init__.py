"""The simulated social-security network: authentic sources (National Register, ONEM,
mutualities) as HTTP services with their own databases, a deterministic synthetic population,
and the seeding of the hub's directory to match. See ``docs/source-protocol.md``."""

from __future__ import annotations

from carrefour.simulation.population.population import Population, generate_population
from carrefour.simulation.seeding.seed import SeedReport, seed_network
from carrefour.simulation.sources.app import create_source_app, serve_source

__all__ = [
    "Population",
    "SeedReport",
    "create_source_app",
    "generate_population",
    "seed_network",
    "serve_source",
]
