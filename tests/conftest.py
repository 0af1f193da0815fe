"""Shared fixtures."""
from __future__ import annotations

import zlib

import numpy as np
import pytest


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's name: deterministic and distinct per test."""
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))
