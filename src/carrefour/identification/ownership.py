"""Who may change a BIS record: the institution that created it, or the hub's operators. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from carrefour.errors import NotRecordOwner
from carrefour.identification.person import BisPerson


@dataclass(frozen=True, slots=True)
class Editor:
    """The institution asking to change a record (its CBE number), and whether it acts as one
    of the hub's operators (a client with the ``admin`` scope)."""

    cbe: str
    operator: bool = False


def check_owner(person: BisPerson, editor: Editor) -> None:
    """Refuse with :class:`NotRecordOwner` unless the editor may change the person's record."""
    if editor.operator or person.created_by == editor.cbe:
        return
    raise NotRecordOwner(
        f"The BIS number {person.niss} was created by another institution: only that "
        "institution or the hub's operators may change it.",
        niss=person.niss.value,
    )
