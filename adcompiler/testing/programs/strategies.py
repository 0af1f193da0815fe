"""Hypothesis strategies over the program generator.

Programs are drawn through their seed, so hypothesis shrinks towards small
seeds and every failure it reports is reproducible with ``generate_program``.
"""
from __future__ import annotations

from hypothesis import strategies as st

from .generate import generate_program
from .spec import Program


def programs(max_seed: int = 2**31 - 1, **options) -> st.SearchStrategy[Program]:
    """Random valid programs of the supported subset (``options`` go to ``generate_program``)."""
    return st.integers(min_value=0, max_value=max_seed).map(lambda s: generate_program(s, **options))
