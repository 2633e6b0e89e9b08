"""What follows the replacement of a BIS number, in the transaction of the replacement itself.

- Every open file (integration) of the old number is carried over to the new number, and each
  carry-over is journaled (action ``carry-over-integration``, the holding institution as
  client, the new number, the quality code, and the replacement's ticket or event id as
  reference, so ``journal trace`` finds them with it).
- The hub publishes a ``niss-replaced`` mutation about the new number, with the number's whole
  history: every institution holding a file on it that subscribed receives it, as far as a
  deliberation grants it the ``niss-history`` service for its quality code.

The National Register's own ``niss-replacement`` mutation is applied here too
(:class:`NissReplacementApplier`): a replacement the Register announces needs no owner and no
identity check, and one the register already holds is accepted without changing anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from carrefour.directory.cache import ReferenceSnapshot
from carrefour.directory.carry_over import CarriedOver, carry_over
from carrefour.errors import InvalidInput
from carrefour.identification import register, repository
from carrefour.identification.history import NissReplacement, as_record, connected_replacements
from carrefour.identification.niss import Niss, NissKind, parse_niss
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.recorded import Act, Stamp
from carrefour.signal.domain import NISS_REPLACED, Mutation, MutationTypes
from carrefour.signal.expiry import HUB
from carrefour.signal.repository import Intake, store_intakes

CARRY_OVER = "carry-over-integration"
REGISTER_REASON = "registered in the National Register"


@dataclass(frozen=True)
class Succession:
    types: MutationTypes

    def follow(
        self,
        connection: Connection,
        replacement: NissReplacement,
        *,
        snapshot: ReferenceSnapshot,
        channel: str,
        reference: str,
        today: dt.date,
    ) -> list[CarriedOver]:
        """Carry the files over and tell the institutions, in the caller's transaction."""
        now = dt.datetime.now(dt.UTC)
        old, new = replacement.old_niss.value, replacement.new_niss.value
        carried = carry_over(connection, old=old, new=new, today=today, now=now)
        journal_append(
            connection,
            [_carry_entry(c, new, snapshot, channel=channel, reference=reference, now=now)
             for c in carried],
        )
        notice = self._notice(connection, replacement)
        store_intakes(connection, [notice], snapshot=snapshot, today=today, now=now)
        return carried

    def _notice(self, connection: Connection, replacement: NissReplacement) -> Intake:
        new = replacement.new_niss
        history = connected_replacements(
            new, lambda numbers: repository.replacements_touching(connection, numbers)
        )
        act = Act(channel="signal", action="publish-mutation", client=HUB, end_user_id=None,
                  end_user_role=None, service=NISS_REPLACED, niss=new.value)
        mutation = Mutation(
            type=NISS_REPLACED, niss=new.value,
            source_ref=f"replaced-{replacement.old_niss.value}",
            effective_on=replacement.replaced_at.date(),
            data={"history": [as_record(r) for r in history]},
        )
        return Intake(kind=self.types.get(NISS_REPLACED), mutation=mutation, source=None,
                      stamp=Stamp(act))


def _carry_entry(
    carried: CarriedOver, new: str, snapshot: ReferenceSnapshot, *, channel: str,
    reference: str, now: dt.datetime,
) -> JournalEntry:
    holder = snapshot.institutions.get(carried.old.institution_id)
    return JournalEntry(
        ticket=new_ticket(), occurred_at=now, channel=channel, action=CARRY_OVER,
        client=holder.cbe if holder else f"institution-{carried.old.institution_id}",
        end_user_id=None, end_user_role=None, service="manage-access", niss=new,
        quality_code=carried.old.quality_code, deliberation=None,
        outcome="ok" if carried.new is not None else "already-integrated",
        duration_ms=0.0, reference=reference,
    )


class NissReplacementApplier:
    """Applies the National Register's ``niss-replacement`` mutations: ``niss`` is the BIS
    number replaced, ``data.new_niss`` the Register number replacing it, ``data.reason`` an
    optional reason."""

    def __init__(self, succession: Succession) -> None:
        self._succession = succession

    def check(self, mutation: Mutation) -> None:
        self._replacement(mutation, now=dt.datetime.now(dt.UTC))

    def apply(
        self,
        connection: Connection,
        intake: Intake,
        *,
        event_id: str,
        snapshot: ReferenceSnapshot,
        today: dt.date,
        now: dt.datetime,
    ) -> None:
        replacement = self._replacement(intake.mutation, now=now)
        if register.apply_replacement(connection, replacement):
            self._succession.follow(connection, replacement, snapshot=snapshot,
                                    channel="signal", reference=event_id, today=today)

    @staticmethod
    def _replacement(mutation: Mutation, *, now: dt.datetime) -> NissReplacement:
        old = parse_niss(mutation.niss)
        if old.kind is not NissKind.BIS:
            raise InvalidInput(f"A niss-replacement replaces a BIS number; {old} is not one.")
        new = _register_number(mutation.data.get("new_niss"))
        reason = mutation.data.get("reason") or REGISTER_REASON
        made = register.new_replacement(old, new, reason=reason)
        return NissReplacement(old_niss=old, new_niss=new, replaced_at=now, reason=made.reason)


def _register_number(raw: object) -> Niss:
    if not isinstance(raw, str):
        raise InvalidInput("The field new_niss must be the National Register number, as a text.")
    new = parse_niss(raw)
    if new.kind is not NissKind.REGISTER:
        raise InvalidInput(f"The field new_niss must be a National Register number; {new} is not.")
    return new
