"""End users act in a role declared for their institution's sector (``reference/roles.csv``),
not in free text: the journal then says who acted in which capacity, in words a DPO can read."""

from __future__ import annotations

from carrefour import reference
from carrefour.errors import UnknownRole


def check_role(role: str, *, sector: int) -> None:
    """Refuse with :class:`UnknownRole` a role not declared for ``sector`` (nor for every
    sector)."""
    if reference.role(sector, role) is None:
        known = ", ".join(r.role for r in reference.roles_of(sector))
        raise UnknownRole(
            f"The role {role[:60]!r} is not an end-user role of sector {sector}; "
            f"its roles are: {known}."
        )
