"""The deterministic synthetic population of the simulated network (pure: no database, no clock)."""
