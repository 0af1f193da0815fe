"""The catalogue of functions for the gradient harness: rows are defined in
catalogue_lang (language constructs) and catalogue_numpy (numpy operations);
catalogue_base documents the row and pattern format."""
from __future__ import annotations

import catalogue_lang  # noqa: F401  (registers rows)
import catalogue_numpy  # noqa: F401  (registers rows)
from catalogue_base import ROWS, Row

__all__ = ["ROWS", "Row", "cases"]


def cases() -> list[tuple[Row, str]]:
    """Every (row, pattern) pair."""
    return [(row, p) for row in ROWS for p in row.patterns]
