"""Benchmarks of Carrefour (``make bench``); figures are recorded in ``docs/benchmarks.md``."""
