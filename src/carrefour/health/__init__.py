"""The hub's health: liveness, readiness (the reason when not ready) and the checks that
``carrefour serve`` makes before it starts."""
