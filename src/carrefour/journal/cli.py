"""``carrefour journal ...``: verify the chain against its key and checkpoints (archived months
included), move closed months to the archive, seal it with a checkpoint, print the public
key an auditor holds, show an exchange by ticket, who consulted a
NISS, trace a mutation by its event id, the audit trail of administrative changes.

Thin: each command parses its input, calls one function of the journal and prints the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Engine

from carrefour.config import JournalSettings, Settings
from carrefour.db import build_engine
from carrefour.errors import CarrefourError, InvalidInput, InvalidNiss
from carrefour.identification.niss import parse_niss
from carrefour.journal import audit as journal_audit
from carrefour.journal.anchors import Anchors
from carrefour.journal.archive import (
    MonthArchived,
    archive_closed_months,
    archive_dir_from_env,
    part_path,
)
from carrefour.journal.chain import VerifyReport, verify
from carrefour.journal.codec import iso_utc
from carrefour.journal.keys import JournalKeyError, public_pem, signing_key
from carrefour.journal.recorded import Stamp
from carrefour.journal.sealing import Seal, seal
from carrefour.journal.services import JournalRecord, by_niss, by_reference, by_ticket
from carrefour.journal.writer import record_now
from carrefour.limits import INT64_MAX, MAX_PAGE

app = typer.Typer(
    help="The journal of exchanges: verify its chain, seal it, look exchanges up.",
    no_args_is_help=True,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="Database URL (default: CARREFOUR_DATABASE_URL or the embedded SQLite)."),
]
PROGRESS_THRESHOLD = 50_000  # entries; below this a verify is over before a bar is worth it


@contextmanager
def _engine(database_url: str | None) -> Iterator[Engine]:
    engine = build_engine(database_url or Settings.from_env().database_url)
    try:
        yield engine
    finally:
        engine.dispose()


KeyFile = Annotated[Path | None, typer.Option(
    help="The chain key file (default: CARREFOUR_JOURNAL_KEY, else CARREFOUR_JOURNAL_KEY_FILE, "
    "else journal-key in the data folder).")]
CheckpointsFile = Annotated[Path | None, typer.Option(
    help="The checkpoint file, or an auditor's copy (default: CARREFOUR_JOURNAL_CHECKPOINTS).")]
PublicKeyFile = Annotated[Path | None, typer.Option(
    help="The public key that checks the checkpoints (default: beside the signing key).")]
ArchiveDir = Annotated[Path | None, typer.Option(
    help="The archive folder, read with the live journal (default: CARREFOUR_ARCHIVE_DIR, "
    "else archive in the data folder).")]
TsaCertificate = Annotated[Path | None, typer.Option(
    help="The time-stamping authority's certificates, PEM (default: "
    "CARREFOUR_JOURNAL_TSA_CERTIFICATE).")]


@app.command("verify")
def verify_command(
    database_url: DatabaseUrl = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Entries read per query.")] = 5_000,
    key_file: KeyFile = None,
    checkpoints: CheckpointsFile = None,
    public_key: PublicKeyFile = None,
    tsa_certificate: TsaCertificate = None,
    archive_dir: Annotated[Path | None, typer.Option(
        help="The archive folder (default: CARREFOUR_ARCHIVE_DIR).")] = None,
    strict: Annotated[bool, typer.Option(
        help="Exit with code 2 when something could not be checked (a key or file missing)."
    )] = False,
) -> None:
    """Check the chain with its key and against the signed checkpoints; exit code 1 when an
    entry or a checkpoint was altered or deleted."""
    settings = JournalSettings.from_env()
    if key_file is not None:
        settings = replace(settings, key=None, key_file=key_file)
    if checkpoints is not None:
        settings = replace(settings, checkpoint_file=checkpoints)
    if tsa_certificate is not None:
        settings = replace(settings, tsa_certificate_file=tsa_certificate)
    if public_key is not None:
        settings = replace(settings, public_key_file=public_key)
    anchors = Anchors.load(settings, derive_public_key=public_key is None)
    console = Console()
    with _engine(database_url) as engine:
        report = _verify_with_progress(engine, console, anchors, chunk_size=chunk_size,
                                       archive_dir=archive_dir)
    _print_report(console, report)
    if not report.ok:
        raise typer.Exit(code=1)
    if strict and report.notes:
        raise typer.Exit(code=2)


def _verify_with_progress(
    engine: Engine, console: Console, anchors: Anchors, *, chunk_size: int,
    archive_dir: Path | None,
) -> VerifyReport:
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("verifying", visible=False)

        def on_progress(checked: int, total: int) -> None:
            visible = console.is_terminal and total >= PROGRESS_THRESHOLD
            progress.update(task, completed=checked, total=total, visible=visible)

        return verify(engine, anchors=anchors, chunk_size=chunk_size, on_progress=on_progress,
                      archive_dir=archive_dir)


def _print_report(console: Console, report: VerifyReport) -> None:
    head = f"seq {report.head.seq}, hash {report.head.hash}" if report.head else "none"
    first = report.first_problem
    if first is None:
        verdict = "[yellow]Journal intact as far as checked[/]" if report.notes else (
            "[green]Journal intact[/]")
        console.print(f"{verdict}: {report.checked} entries checked{_keyed(report)}"
                      f"{_anchored(report)}.", soft_wrap=True)
        console.print(f"Head: {head}", soft_wrap=True)
    else:
        on_entry = first.seq and first.kind not in ("checkpoint", "wrong-key")
        where = f"first broken entry seq {first.seq} " if on_entry else ""
        console.print(f"[bold red]Journal tampered[/]: {where}({first.kind}): {first.detail}.",
                      soft_wrap=True)
        console.print(f"{report.problem_count} problem(s) in {report.checked} entries read.")
        console.print(f"Head: {head}", soft_wrap=True)
        table = Table("seq", "problem", "detail")
        for problem in report.problems:
            seqs = str(problem.seq) if problem.last_seq in (None, problem.seq) else (
                f"{problem.seq}-{problem.last_seq}")
            table.add_row(seqs if problem.seq else "-", problem.kind, problem.detail)
        console.print(table)
    for note in report.notes:
        console.print(f"[yellow]Not checked[/]: {note}.", soft_wrap=True)


def _keyed(report: VerifyReport) -> str:
    if report.keyed_from is None:
        return ""
    return f", keyed from entry {report.keyed_from}"


def _anchored(report: VerifyReport) -> str:
    last = report.last_checkpoint
    if last is None:
        return ", no checkpoint"
    count = "1 checkpoint" if report.checkpoints == 1 else f"{report.checkpoints} checkpoints"
    return f", against {count} (the last, {last.label}, seals entry {last.seq})"


@app.command()
def checkpoint(database_url: DatabaseUrl = None) -> None:
    """Seal the journal now with a signed checkpoint of its head (the hub does it at
    intervals: CARREFOUR_JOURNAL_CHECKPOINT_EVERY entries, CARREFOUR_JOURNAL_CHECKPOINT_SECONDS)."""
    console = Console()
    settings = JournalSettings.from_env()
    try:
        with _engine(database_url) as engine:
            sealed = seal(Seal.from_settings(engine, settings))
    except (JournalKeyError, ValueError, OSError) as error:
        console.print(f"[bold red]No checkpoint written[/]: {error}.", soft_wrap=True)
        raise typer.Exit(code=1) from error
    last = sealed.checkpoint
    if last is None:
        console.print("The journal is empty: there is nothing to seal.")
    elif sealed.written:
        console.print(f"Written: {last.label} seals entry {last.seq} "
                      f"(in {settings.checkpoint_file}).", soft_wrap=True)
    else:
        console.print(f"Nothing new: {last.label} already seals entry {last.seq}.")


@app.command("public-key")
def public_key_command() -> None:
    """Print the public key that checks the checkpoints' signatures, for an auditor to hold
    (the signing key is created on first use)."""
    try:
        key = signing_key(JournalSettings.from_env(), create=True)
    except JournalKeyError as error:
        Console().print(f"[bold red]No public key[/]: {error}.", soft_wrap=True)
        raise typer.Exit(code=1) from error
    typer.echo(public_pem(key.public_key()).decode("ascii"), nl=False)


@app.command()
def show(
    ticket: Annotated[str, typer.Argument(help="The ticket the hub gave the client.")],
    database_url: DatabaseUrl = None,
    archive_dir: ArchiveDir = None,
) -> None:
    """Show the journal entry of one exchange (live or archived)."""
    console = Console()
    with _engine(database_url) as engine:
        record = by_ticket(engine, ticket, archive_dir=archive_dir)
    if record is None:
        console.print(f"No journal entry has ticket {ticket}.")
        raise typer.Exit(code=1)
    console.print(_record_table(record))


def _record_table(record: JournalRecord) -> Table:
    entry = record.entry
    table = Table(show_header=False)
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold")
    fields = {
        "seq": str(record.seq),
        "ticket": entry.ticket,
        "time": iso_utc(entry.occurred_at),
        "channel / action": f"{entry.channel} / {entry.action}",
        "client": entry.client,
        "end user": f"{entry.end_user_id or '-'} ({entry.end_user_role or '-'})",
        "service": entry.service or "-",
        "NISS": entry.niss or "-",
        "quality code": "-" if entry.quality_code is None else f"{entry.quality_code:03d}",
        "deliberation": entry.deliberation or "-",
        "sources asked": ", ".join(entry.sources) or "-",
        "outcome": entry.outcome,
        "duration": f"{entry.duration_ms:.1f} ms",
        "reference": entry.reference or "-",
        "audit digest": entry.audit_digest or "-",
        "trace id": entry.trace_id or "-",
        "hash": record.hash,
    }
    for name, value in fields.items():
        table.add_row(name, value)
    return table


@app.command()
def trace(
    reference: Annotated[str, typer.Argument(help="An event id, as its subscribers receive it.")],
    database_url: DatabaseUrl = None,
    archive_dir: ArchiveDir = None,
) -> None:
    """List the entries about a mutation, oldest first: its intake, then every delivery."""
    console = Console()
    with _engine(database_url) as engine:
        records = by_reference(engine, reference, archive_dir=archive_dir)
    if not records:
        console.print(f"No journal entry is about {reference}.")
        raise typer.Exit(code=1)
    table = Table()
    for name in ("seq", "time (UTC)", "ticket", "client", "action", "outcome"):
        table.add_column(name, overflow="fold")
    for record in records:
        entry = record.entry
        table.add_row(str(record.seq), entry.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                      entry.ticket, entry.client, entry.action, entry.outcome)
    console.print(table)


@app.command("who-consulted")
def who_consulted(
    niss: Annotated[str, typer.Argument(help="The person's NISS (separators allowed).")],
    database_url: DatabaseUrl = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_PAGE, help="At most this many entries.")
    ] = 100,
    before_seq: Annotated[
        int | None, typer.Option(min=1, max=INT64_MAX, help="Only entries before this seq.")
    ] = None,
    archive_dir: ArchiveDir = None,
) -> None:
    """List the exchanges about a person, newest first (the DPO's and the citizen's view),
    the archived months included."""
    try:
        compact = parse_niss(niss).value
    except InvalidNiss as error:
        raise typer.BadParameter(error.detail, param_hint="NISS") from error
    console = Console()
    with _engine(database_url) as engine:
        records = by_niss(engine, compact, limit=limit, before_seq=before_seq,
                          archive_dir=archive_dir)
    if not records:
        console.print(f"No exchange about {compact} is journaled.")
        return
    console.print(_consultations_table(records))
    if len(records) == limit:
        console.print(f"More may follow: --before-seq {records[-1].seq}")


def _consultations_table(records: list[JournalRecord]) -> Table:
    table = Table()
    for name in ("seq", "time (UTC)", "client"):
        table.add_column(name, no_wrap=True)
    for name in ("end user", "service", "action", "outcome", "reference"):
        table.add_column(name, overflow="fold")
    for record in records:
        entry = record.entry
        table.add_row(
            str(record.seq),
            entry.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            entry.client,
            entry.end_user_id or "-",
            entry.service or "-",
            entry.action,
            entry.outcome,
            entry.reference or "-",  # a search-result: the ticket of the search
        )
    return table



@app.command("audit")
def audit_command(
    kind: Annotated[str | None, typer.Option(help="institution, credentials, deliberation, "
                                             "availability or subscription.")] = None,
    key: Annotated[str | None, typer.Option(help="The object's key (CBE number, client id, "
                                            "reference|client_kind|service...).")] = None,
    database_url: DatabaseUrl = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many changes.")] = 100,
    archive_dir: ArchiveDir = None,
) -> None:
    """Who changed what, newest first, with each object's state before and after (the
    archived months included). Looking is journaled (channel cli, the operating-system
    user)."""
    console = Console()
    with _engine(database_url) as engine:
        try:
            records = journal_audit.locally(
                engine, "admin-audit",
                lambda stamp: _trail(engine, stamp, kind, key, limit, archive_dir),
            )
        except CarrefourError as error:
            console.print(f"[red]{error.code}[/]: {error.detail}")
            raise typer.Exit(code=1) from None
    if not records:
        console.print("No administrative change is journaled for this.")
        return
    console.print(_audit_table(records))


def _trail(
    engine: Engine, stamp: Stamp, kind: str | None, key: str | None, limit: int,
    archive_dir: Path | None,
) -> list[journal_audit.AuditRecord]:
    if kind is not None and kind not in set(journal_audit.Kind):
        raise InvalidInput(f"The kind must be one of: {', '.join(journal_audit.Kind)}.")
    if key is not None and kind is None:
        raise InvalidInput("Give the --kind of the object whose --key is given.")
    records = journal_audit.trail(engine, kind=kind, key=key, limit=limit,
                                  archive_dir=archive_dir)
    reference = None if kind is None else f"{kind}:{key or '*'}"
    record_now(engine, stamp.entry("ok", reference=reference))
    stamp.sealed = True
    return records


def _audit_table(records: list[journal_audit.AuditRecord]) -> Table:
    table = Table()
    for name in ("seq", "time (UTC)", "action", "by", "object"):
        table.add_column(name, overflow="fold")
    table.add_column("before → after", overflow="fold")
    for record in records:
        by = f"{record.client} / {record.end_user_id or '-'} ({record.channel})"
        table.add_row(str(record.seq), record.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                      record.action, by, f"{record.kind} {record.key}",
                      _difference(record.before, record.after))
    return table


def _difference(before: dict[str, object] | None, after: dict[str, object] | None) -> str:
    if before is None:
        return "created"
    if after is None:
        return "deleted"
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return "; ".join(f"{k}: {before.get(k)!r} → {after.get(k)!r}" for k in changed)


@app.command("archive")
def archive_command(
    database_url: DatabaseUrl = None,
    archive_dir: Annotated[Path | None, typer.Option(
        help="The archive folder (default: CARREFOUR_ARCHIVE_DIR, else archive in the data "
        "folder).")] = None,
) -> None:
    """Move the closed months (before the current month, UTC) from the live journal to
    Parquet files in the archive (journal/month=YYYY-MM/part-<n>.parquet), a month at a
    time, all or nothing; journaled (channel cli, the operating-system user)."""
    console = Console()
    folder = archive_dir or archive_dir_from_env()
    with _engine(database_url) as engine:
        moved = journal_audit.locally(engine, "journal-archive",
                                      lambda stamp: _archive(engine, folder, stamp))
    if not moved:
        console.print("No closed month is left in the live journal.")
    for month in moved:
        console.print(f"{month.month}: {month.entries:,} entries moved to "
                      f"{folder / part_path(month.month, month.part)}", soft_wrap=True)


def _archive(engine: Engine, folder: Path, stamp: Stamp) -> list[MonthArchived]:
    moved = archive_closed_months(engine, folder)
    months = ",".join(m.month for m in moved) or None
    record_now(engine, stamp.entry("ok", reference=months))
    stamp.sealed = True
    return moved
