"""The simulated authentic sources: each an HTTP service speaking the source protocol,
with its own database."""
