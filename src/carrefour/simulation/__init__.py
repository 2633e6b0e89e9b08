"""The simulated social-security network: authentic sources (National Register, ONEM,
mutualities) as HTTP services with their own databases, a deterministic synthetic population,
and the seeding of the hub's directory to match. See ``docs/source-protocol.md``."""

from __future__ import annotations

from carrefour.simulation.app import create_source_app, serve_source
from carrefour.simulation.population import Population, generate_population
from carrefour.simulation.seed import SeedReport, seed_network

__all__ = [
    "Population",
    "SeedReport",
    "create_source_app",
    "generate_population",
    "seed_network",
    "serve_source",
]
