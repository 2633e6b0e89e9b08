"""Seeding the simulated network: the sources' databases and the hub's directory, from
one population."""
