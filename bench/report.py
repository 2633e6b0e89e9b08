"""Showing a run (Rich tables) and recording it in ``docs/benchmarks.md``."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import network as net
from bench.machine import QUIET_LOAD
from bench.outcome import Outcome
from bench.phases import Phase

BEGIN = "<!-- bench:consultations:begin -->"
END = "<!-- bench:consultations:end -->"
HEADER = (
    "| date (UTC) | commit | machine | persons | workers | conn. (max / rate) | direct req/s "
    "| proxy req/s | hub req/s | proxy/direct | hub/direct | p50 / p99 at 1,000/s "
    "| CPU at hub max: hub / source / wrk / other | journal | targets |\n"
    "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|\n"
)


NOISY = 20.0  # % of a core used by other processes beyond which a phase is not clean


def show(console: Console, outcome: Outcome) -> None:
    console.print(_phase_table(outcome))
    console.print(_target_table(outcome))
    if not outcome.quiet:
        console.print(f"[yellow]Load average {outcome.load_average:.2f} at the start (above "
                      f"{QUIET_LOAD}): the machine was not quiet.[/]")
    for phase in outcome.phases:
        if phase.cpu.other > NOISY:
            console.print(f"[yellow]Other processes used {phase.cpu.other:.0f}% of a core "
                          f"during '{phase.name}': the machine was not quiet.[/]")
    verdict = "[green]all targets met[/]" if outcome.passed else "[red]targets missed[/]"
    console.print(f"{outcome.machine.summary()}, commit {outcome.machine.commit}: {verdict}")


def _phase_table(outcome: Outcome) -> Table:
    options = outcome.options
    table = Table("phase", "conn.", "req/s", "answers", "p50 ms", "p90 ms", "p99 ms",
                  "max ms", "failed", "late (max lag)", "CPU hub", "database", "source",
                  "proxy", "wrk", "other",
                  "machine", title=f"Consultations ({options.service} through the hub), "
                  f"{options.persons:,} persons, {options.workers} hub worker(s)")
    for phase in outcome.phases:
        table.add_row(*_phase_cells(phase))
    return table


def _phase_cells(phase: Phase) -> list[str]:
    result, cpu, ms = phase.result, phase.cpu, phase.result.latency_ms
    late = f"{result.late} ({result.max_lag_ms:.0f} ms)" if phase.rate else "-"
    return [phase.name, str(phase.connections), f"{result.rate:,.0f}", f"{result.completed:,}",
            f"{ms['p50']:.1f}", f"{ms['p90']:.1f}", f"{ms['p99']:.1f}", f"{ms['max']:.1f}",
            str(result.failures), late, f"{cpu.hub:.0f}%", f"{cpu.database:.0f}%",
            f"{cpu.source:.0f}%",
            f"{cpu.proxy:.0f}%", f"{cpu.wrk:.0f}%", f"{cpu.other:.0f}%", f"{cpu.machine:.0f}%"]


def _target_table(outcome: Outcome) -> Table:
    table = Table("target", "required", "measured", "", title="Targets")
    for target in outcome.targets:
        table.add_row(target.name, target.required, target.measured,
                      "[green]met[/]" if target.met else "[red]missed[/]")
    return table


def markdown_row(outcome: Outcome) -> str:
    options, machine, steady = outcome.options, outcome.machine, outcome.steady.result
    cpu = outcome.hub.cpu
    missed = [t.name for t in outcome.targets if not t.met]
    verdict = "all met" if not missed else "missed: " + ", ".join(missed)
    noise = max(phase.cpu.other for phase in outcome.phases)
    if noise > NOISY:
        verdict += f" — *machine not quiet: other processes up to {noise:.0f}% of a core*"
    elif not outcome.quiet:
        verdict += f" — *machine not quiet: load average {outcome.load_average:.1f} at start*"
    cells = [
        outcome.when.strftime("%Y-%m-%d %H:%M"), f"`{machine.commit}`",
        f"{machine.summary()}; load average {outcome.load_average:.1f}"
        + (f"; hub on PostgreSQL (its CPU {cpu.database:.0f}%)" if options.database_url else ""),
        f"{options.persons:,}" + _service_note(options.service), str(options.workers),
        f"{options.connections} / {options.rate_connections}",
        f"{outcome.direct.result.rate:,.0f}", f"{outcome.proxy.result.rate:,.0f}",
        f"{outcome.hub.result.rate:,.0f}", f"{outcome.proxy_ratio:.2f}", f"{outcome.ratio:.2f}",
        f"{steady.latency_ms['p50']:.1f} / {steady.latency_ms['p99']:.1f} ms",
        f"{cpu.hub:.0f}% / {cpu.source:.0f}% / {cpu.wrk:.0f}% / {cpu.other:.0f}%",
        "ok" if outcome.journal.ok else "**failed**",
        verdict,
    ]
    return "| " + " | ".join(cells) + " |\n"


def _service_note(service: str) -> str:
    return "" if service == net.SERVICE else f" (hub: `{service}`)"


def record(document: Path, outcome: Outcome) -> None:
    """Add the run as a row of the results table of ``document`` (created when missing)."""
    text = document.read_text() if document.exists() else ""
    if BEGIN not in text or END not in text:
        text += f"\n## Results\n\n{BEGIN}\n{HEADER}{END}\n"
    head, rest = text.split(END, 1)
    document.write_text(head + markdown_row(outcome) + END + rest)
