"""Observability tests use the small network of the exchange tests: the real hub over HTTP,
source doubles, a CPAS, another CPAS and an operator with valid tokens."""

from tests.exchange.conftest import _doubles, network

__all__ = ["_doubles", "network"]
