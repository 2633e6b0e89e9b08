"""The warehouse's tests reuse the declarations' network: the hub over HTTP with the SPP IS
as a real source, to read the usage statistics of real declarations."""

from tests.declarations.conftest import declaration_network  # noqa: F401 - a fixture
