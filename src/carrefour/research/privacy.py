"""Differentially private counts, with OpenDP.

A table's true counts, one per cell of a public domain (:func:`~carrefour.research.domain.
dp_cells`), form a vector to which each person contributes at most 1 (a person lies in one
cell): its L1 sensitivity is 1. OpenDP's Laplace mechanism on integers (the discrete Laplace,
exact on a computer, unlike floating-point noise) with scale 1/epsilon is epsilon-DP for that
vector; the scale is nudged up until OpenDP's own privacy map says at most epsilon. Negative
noisy counts are shown as 0: post-processing costs no privacy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

SENSITIVITY = 1  # a person counts in one cell


@functools.cache
def _opendp() -> Any:
    import opendp.prelude as dp  # imported on first use: a heavy library

    dp.enable_features("contrib")  # the Laplace mechanism is in OpenDP's contrib set
    return dp


def laplace_counts(counts: Sequence[int], epsilon: float) -> list[int]:
    """``counts`` with discrete Laplace noise spending ``epsilon``, never below 0."""
    mechanism = _mechanism(epsilon)
    noisy: list[int] = mechanism(list(counts))
    return [max(0, value) for value in noisy]


def _mechanism(epsilon: float) -> Any:
    dp = _opendp()
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    scale = SENSITIVITY / epsilon
    while True:
        mechanism = dp.m.make_laplace(*space, scale=scale)
        if mechanism.map(SENSITIVITY) <= epsilon:
            return mechanism
        scale = math.nextafter(scale, math.inf)


def privacy_loss(epsilon: float) -> float:
    """What OpenDP says a release at ``epsilon`` costs (at most ``epsilon``)."""
    spent: float = _mechanism(epsilon).map(SENSITIVITY)
    return spent
