"""The directory rows of the regional employment services: every registered job seeker is
integrated at the service of their region (VDAB, FOREM or ACTIRIS) with quality code 1, so
that the hub routes ``job-seeker`` to that service only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from carrefour.directory import repository as repo
from carrefour.simulation.population.dossiers_social import JobSeeker

REGISTERED_JOB_SEEKER = 1  # quality code 1 of sectors 53 (VDAB), 54 (ACTIRIS), 55 (FOREM)


def job_seeker_integrations(seekers: Iterable[JobSeeker], ids: Mapping[str, int],
                            now: dt.datetime) -> Iterator[dict[str, Any]]:
    for seeker in seekers:
        yield repo.integration_values(
            niss=seeker.niss, institution_id=ids[seeker.service],
            quality_code=REGISTERED_JOB_SEEKER, starts_on=seeker.registered_since, ends_on=None,
            now=now,
        )
